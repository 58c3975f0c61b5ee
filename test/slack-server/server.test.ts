import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startSlackServer, type SlackServer } from './index.js';

let slack: SlackServer;
beforeEach(async () => {
  slack = await startSlackServer();
});
afterEach(() => slack.close());

const api = (method: string, body: unknown, token: string | undefined = slack.token) =>
  fetch(slack.url + method, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Record<string, unknown> }));
const hook = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('Web API (chat.postMessage, chat.update)', () => {
  it('posts and updates, keeping the history; a form body with the token as a field works too', async () => {
    const posted = await api('chat.postMessage', { channel: 'C0DEPLOYS', text: 'one' });
    expect(posted.body).toMatchObject({ ok: true, channel: 'C0DEPLOYS', message: { text: 'one' } });
    const form = new URLSearchParams({ token: slack.token, channel: '#deploys', ts: String(posted.body.ts), text: 'two', blocks: JSON.stringify([{ type: 'divider' }]) });
    const updated = await fetch(slack.url + 'chat.update', { method: 'POST', body: form }).then((r) => r.json());
    expect(updated).toMatchObject({ ok: true, channel: 'C0DEPLOYS', ts: posted.body.ts });
    expect(slack.messages).toEqual([{ channel: 'C0DEPLOYS', ts: posted.body.ts, via: 'api', text: 'two', blocks: [{ type: 'divider' }], history: [{ text: 'one', blocks: undefined }] }]);
  });

  it.each([
    ['no token', 'chat.postMessage', { channel: 'C0DEPLOYS', text: 'x' }, null, 'not_authed'],
    ['wrong token', 'chat.postMessage', { channel: 'C0DEPLOYS', text: 'x' }, 'xoxb-nope', 'invalid_auth'],
    ['unknown channel', 'chat.postMessage', { channel: 'C0NOPE', text: 'x' }, undefined, 'channel_not_found'],
    ['bot not in channel', 'chat.postMessage', { channel: 'C0NOBOT', text: 'x' }, undefined, 'not_in_channel'],
    ['no text or blocks', 'chat.postMessage', { channel: 'C0DEPLOYS' }, undefined, 'no_text'],
    ['text over 40,000', 'chat.postMessage', { channel: 'C0DEPLOYS', text: 'x'.repeat(40_001) }, undefined, 'msg_too_long'],
    ['51 blocks', 'chat.postMessage', { channel: 'C0DEPLOYS', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, undefined, 'invalid_blocks'],
    ['header over 150', 'chat.postMessage', { channel: 'C0DEPLOYS', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }, undefined, 'invalid_blocks'],
    ['mrkdwn header', 'chat.postMessage', { channel: 'C0DEPLOYS', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }] }, undefined, 'invalid_blocks'],
    ['section over 3,000', 'chat.postMessage', { channel: 'C0DEPLOYS', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }] }, undefined, 'invalid_blocks'],
    ['unknown ts', 'chat.update', { channel: 'C0DEPLOYS', ts: '1.000001', text: 'x' }, undefined, 'message_not_found'],
  ])('%s → %s', async (_what, method, body, token, error) => {
    const r = await api(method, body, token === null ? '' : (token ?? slack.token));
    expect(r).toMatchObject({ status: 200, body: { ok: false, error } });
    expect(slack.messages).toEqual([]);
  });

  it('argument-rule breaks are also collected as violations', async () => {
    await api('chat.postMessage', { channel: 'C0DEPLOYS' });
    expect(slack.violations).toEqual([{ endpoint: 'chat.postMessage', error: 'no_text', detail: 'text or blocks is required' }]);
  });

  it('failNext: 429 with Retry-After, 500, and {ok:false,error}', async () => {
    slack.failNext(1, { status: 429, retryAfter: 7 });
    slack.failNext(1, { status: 500 });
    slack.failNext(1, { status: 200, error: 'account_inactive' });
    const body = { channel: 'C0DEPLOYS', text: 'x' };
    expect(await api('chat.postMessage', body)).toEqual({ status: 429, retryAfter: '7', body: { ok: false, error: 'ratelimited' } });
    expect(await api('chat.postMessage', body)).toMatchObject({ status: 500, body: { ok: false, error: 'internal_error' } });
    expect(await api('chat.postMessage', body)).toMatchObject({ status: 200, body: { ok: false, error: 'account_inactive' } });
    expect((await api('chat.postMessage', body)).body.ok).toBe(true);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 500, 200, 200]);
  });
});

describe('incoming webhooks', () => {
  it('answers ok and keeps the message', async () => {
    expect(await hook(slack.webhookUrl, { text: 'hi' })).toEqual({ status: 200, text: 'ok' });
    expect(await hook(slack.webhookFor('C0OTHER'), { blocks: [{ type: 'divider' }] })).toEqual({ status: 200, text: 'ok' });
    expect(slack.messages.map((m) => [m.channel, m.via])).toEqual([['C0DEPLOYS', 'webhook'], ['C0OTHER', 'webhook']]);
  });

  it('answers the documented plain-text errors', async () => {
    expect(await hook(slack.revokedWebhookUrl, { text: 'x' })).toEqual({ status: 404, text: 'no_service' });
    expect(await hook(slack.webhookUrl, {})).toEqual({ status: 400, text: 'no_text' });
    const raw = await fetch(slack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect([raw.status, await raw.text()]).toEqual([400, 'invalid_payload']);
    slack.failNext(1, { status: 410, error: 'channel_is_archived' });
    expect(await hook(slack.webhookUrl, { text: 'x' })).toEqual({ status: 410, text: 'channel_is_archived' });
    slack.failNext(1, { status: 429, retryAfter: 2 });
    const limited = await fetch(slack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
    expect([limited.status, limited.headers.get('retry-after'), await limited.text()]).toEqual([429, '2', 'rate_limited']);
    expect(slack.messages).toEqual([]);
  });

  it('an archived channel', async () => {
    const s = await startSlackServer({ channels: { C0ARCH: 'old' }, archived: ['C0ARCH'] });
    try {
      expect(await hook(s.webhookUrl, { text: 'x' })).toEqual({ status: 410, text: 'channel_is_archived' });
    } finally {
      await s.close();
    }
  });
});
