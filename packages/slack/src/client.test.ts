import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FerryError } from '@ferry/core';
import { startSlackServer, type SlackServer } from '../../../test/slack-server/index.js';
import { buildMessage } from './message.js';
import { sendMessage } from './notify.js';
import type { TransportOptions } from './client.js';

let slack: SlackServer;
let waits: number[];
let o: TransportOptions;
beforeEach(async () => {
  slack = await startSlackServer();
  waits = [];
  o = { sleep: async (ms) => void waits.push(ms) };
});
afterEach(async () => {
  await slack.close();
  expect(slack.violations).toEqual([]);
});

const msg = (summary = 'hello') => buildMessage({ event: 'started', environment: 'prod', version: '1.0.0', summary });
const bot = () => ({ token: slack.token, channel: 'C0DEPLOYS', apiUrl: slack.url });

async function codeOf(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FerryError) return [e.code, e.message];
    throw e;
  }
  throw new Error('did not fail');
}

describe('bot token mode', () => {
  it('posts, then updates the same message in place with ts and channel', async () => {
    const first = await sendMessage(bot(), msg('one'), o);
    expect(first).toMatchObject({ status: 'sent', mode: 'bot', channel: 'C0DEPLOYS' });
    const second = await sendMessage({ ...bot(), ts: first.ts }, msg('two'), o);
    expect(second).toMatchObject({ status: 'updated', ts: first.ts, channel: 'C0DEPLOYS', notes: [] });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.history).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0]!.blocks)).toContain('two');
    expect(JSON.stringify(slack.messages[0]!.history[0]!.blocks)).toContain('one');
    expect(slack.requests.map((r) => [r.endpoint, r.contentType])).toEqual([
      ['chat.postMessage', 'application/json; charset=utf-8'],
      ['chat.update', 'application/json; charset=utf-8'],
    ]);
  });

  it('a ts that is gone: posts a new message and says so', async () => {
    const r = await sendMessage({ ...bot(), ts: '1111111111.000001' }, msg(), o);
    expect(r.status).toBe('sent');
    expect(r.notes.join()).toMatch(/no longer exists.*posted a new message instead/);
    expect(slack.messages).toHaveLength(1);
  });

  it('retries 429 honouring Retry-After, then succeeds', async () => {
    slack.failNext(2, { status: 429, retryAfter: 3 });
    const r = await sendMessage(bot(), msg(), o);
    expect(r.status).toBe('sent');
    expect(waits).toEqual([3000, 3000]);
    expect(slack.requests.map((x) => x.status)).toEqual([429, 429, 200]);
  });

  it('retries 5xx and internal_error with backoff, bounded, then FERRY_SLACK_UNAVAILABLE', async () => {
    slack.failNext(1, { status: 200, error: 'internal_error' });
    slack.failNext(10, { status: 503 });
    const [code, message] = await codeOf(sendMessage(bot(), msg(), o));
    expect(code).toBe('FERRY_SLACK_UNAVAILABLE');
    expect(message).toMatch(/chat\.postMessage: HTTP 503.*gave up after 4 attempts/);
    expect(waits).toEqual([500, 1000, 2000]);
    expect(slack.requests).toHaveLength(4);
  });

  it('a Retry-After longer than ferry waits gives up at once', async () => {
    slack.failNext(1, { status: 429, retryAfter: 120 });
    const [code, message] = await codeOf(sendMessage(bot(), msg(), o));
    expect(code).toBe('FERRY_SLACK_UNAVAILABLE');
    expect(message).toContain('Retry-After 120 s');
    expect(waits).toEqual([]);
  });

  it.each([
    [{ token: 'xoxb-wrong' }, 'FERRY_SLACK_AUTH', /token is not valid.*invalid_auth/],
    [{ channel: 'C0MISSING' }, 'FERRY_SLACK_CHANNEL', /does not exist.*channel_not_found/],
    [{ channel: 'C0NOBOT' }, 'FERRY_SLACK_CHANNEL', /not a member.*not_in_channel/],
  ])('%j: %s', async (over, code, text) => {
    const [c, m] = await codeOf(sendMessage({ ...bot(), ...over }, msg(), o));
    expect(c).toBe(code);
    expect(m).toMatch(text);
    expect(m).not.toContain('xoxb-');
  });

  it.each([
    ['account_inactive', 'FERRY_SLACK_AUTH'],
    ['token_revoked', 'FERRY_SLACK_AUTH'],
    ['msg_too_long', 'FERRY_SLACK_REJECTED'],
    ['some_new_code', 'FERRY_SLACK_REJECTED'],
  ])('{ok:false,error:%s} → %s', async (error, code) => {
    slack.failNext(1, { status: 200, error });
    const [c, m] = await codeOf(sendMessage(bot(), msg(), o));
    expect(c).toBe(code);
    expect(m).toContain(error);
  });

  it('a closed port: network errors are retried, then FERRY_SLACK_UNAVAILABLE', async () => {
    const url = slack.url;
    await slack.close();
    slack = await startSlackServer();
    const [c, m] = await codeOf(sendMessage({ ...bot(), apiUrl: url }, msg(), { ...o, attempts: 2 }));
    expect(c).toBe('FERRY_SLACK_UNAVAILABLE');
    expect(m).toMatch(/cannot connect \(ECONNREFUSED\)/);
  });

  it('a token without channel: the webhook when there is one, else FERRY_SLACK_CHANNEL', async () => {
    const [c, m] = await codeOf(sendMessage({ token: slack.token, apiUrl: slack.url }, msg(), o));
    expect(c).toBe('FERRY_SLACK_CHANNEL');
    expect(m).toContain('a bot token was given without `channel`');
    const r = await sendMessage({ token: slack.token, apiUrl: slack.url, webhookUrl: slack.webhookUrl }, msg(), o);
    expect(r).toMatchObject({ status: 'sent', mode: 'webhook' });
    expect(r.notes.join()).toContain('no channel');
    expect(slack.requests.map((q) => q.endpoint)).toEqual(['webhook']);
  });
});

describe('incoming webhook mode', () => {
  it('posts; a ts cannot be updated through a webhook and is ignored with a note', async () => {
    const r = await sendMessage({ webhookUrl: slack.webhookUrl, ts: '1.2' }, msg('via hook'), o);
    expect(r).toMatchObject({ status: 'sent', mode: 'webhook' });
    expect(r.ts).toBeUndefined();
    expect(r.notes.join()).toContain('cannot update');
    expect(slack.messages.map((m) => [m.via, m.channel])).toEqual([['webhook', 'C0DEPLOYS']]);
  });

  it('429 with Retry-After is retried', async () => {
    slack.failNext(1, { status: 429, retryAfter: 1 });
    await sendMessage({ webhookUrl: slack.webhookUrl }, msg(), o);
    expect(waits).toEqual([1000]);
    expect(slack.messages).toHaveLength(1);
  });

  it.each([
    [404, 'no_service', 'FERRY_SLACK_AUTH'],
    [403, 'action_prohibited', 'FERRY_SLACK_CHANNEL'],
    [404, 'channel_not_found', 'FERRY_SLACK_CHANNEL'],
    [410, 'channel_is_archived', 'FERRY_SLACK_CHANNEL'],
    [400, 'invalid_payload', 'FERRY_SLACK_REJECTED'],
    [400, 'no_text', 'FERRY_SLACK_REJECTED'],
  ])('HTTP %i %s → %s, the URL never in the message', async (status, error, code) => {
    slack.failNext(1, { status, error });
    const [c, m] = await codeOf(sendMessage({ webhookUrl: slack.webhookUrl }, msg(), o));
    expect(c).toBe(code);
    expect(m).toContain(`HTTP ${status}, ${error}`);
    expect(m).not.toContain('/services/');
    expect(m).not.toContain('127.0.0.1');
  });

  it('a webhook-url that is not a URL is refused without showing it', async () => {
    const [c, m] = await codeOf(sendMessage({ webhookUrl: 'T0/B0/s3cr3t' }, msg(), o));
    expect(c).toBe('FERRY_SLACK_AUTH');
    expect(m).not.toContain('s3cr3t');
    expect(slack.requests).toEqual([]);
  });

  it('a removed webhook (the receiver answers 404 no_service)', async () => {
    const [c, m] = await codeOf(sendMessage({ webhookUrl: slack.revokedWebhookUrl }, msg(), o));
    expect(c).toBe('FERRY_SLACK_AUTH');
    expect(m).toContain('removed or disabled');
  });
});
