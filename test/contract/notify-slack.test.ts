import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { gitRepo } from '../support/git-repo.js';
import { startSlackServer, type SlackServer } from '../slack-server/index.js';
import { runAction, tempDirs, type RunResult } from './run-action.js';

jest.setTimeout(60_000);

/** Canary secrets: neither may appear in stdout, stderr, the summary or outputs. */
const TOKEN = 'xoxb-CANARY-5ec7e7-t0ken';
let slack: SlackServer;
let cwd: string;
let sha: string;
beforeEach(async () => {
  slack = await startSlackServer({ token: TOKEN });
  cwd = gitRepo({ 'README.md': 'data\n' }, { prefix: 'ferry-notify-' });
  tempDirs.push(cwd);
  sha = fs.readFileSync(path.join(cwd, '.git', 'refs', 'heads', 'main'), 'utf8').trim();
});
afterEach(async () => {
  await slack.close();
  expect(slack.violations).toEqual([]);
});
afterAll(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const notify = (inputs: Record<string, string>, more: { event?: Record<string, unknown> } = {}) =>
  runAction('notify-slack', { cwd, apiUrl: 'http://127.0.0.1:9/unused', inputs: { 'api-url': slack.url, environment: 'prod', version: '1.4.0', 'release-id': 'r-0abc', ...inputs }, ...more });
const bot = { token: TOKEN, channel: 'C0DEPLOYS' };
const warnings = (r: RunResult) => r.commands.filter((c) => c.command === 'warning');

/** The runner reads `::add-mask::` lines and never shows them; everything else must be free of secrets. */
function expectNoSecrets(r: RunResult) {
  const masks = r.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
  for (const m of masks) expect(m.includes('CANARY') || m.includes('/services/')).toBe(true);
  const stdout = r.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n');
  const all = stdout + r.stderr + r.summary + JSON.stringify(r.outputs);
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain('CANARY');
  expect(all).not.toContain('/services/T0FERRY');
}

describe('notify-slack (committed bundle) against a local Slack', () => {
  it('webhook mode: posts the message; no ts or channel', async () => {
    const r = await notify({ event: 'started', 'webhook-url': slack.webhookUrl });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ status: 'sent', ts: '', channel: '' });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]).toMatchObject({ via: 'webhook', channel: 'C0DEPLOYS' });
    const blocks = JSON.stringify(slack.messages[0]!.blocks);
    expect(blocks).toContain('Deploying 1.4.0 to prod');
    expect(blocks).toContain('https://github.com/acme/data/actions/runs/1000');
    // The run's commit, shortened, with the first line of its message (the push event's head_commit).
    expect(blocks).toContain(`\`${sha.slice(0, 12)}\` change`);
    expect(blocks).toContain('*By*\\noctocat');
    expectNoSecrets(r);
  });

  it('bot mode: one message per pipeline, updated in place across two runs via ts and channel', async () => {
    const first = await notify({ event: 'started', ...bot });
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'sent', channel: 'C0DEPLOYS' });
    expect(first.outputs.ts).toMatch(/^\d+\.\d{6}$/);
    const second = await notify({ event: 'succeeded', ...bot, ts: first.outputs.ts!, channel: first.outputs.channel! });
    expect(second.code).toBe(0);
    expect(second.outputs).toEqual({ status: 'updated', ts: first.outputs.ts, channel: 'C0DEPLOYS' });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.history).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0]!.blocks)).toContain('Deployed 1.4.0 to prod');
    expect(JSON.stringify(slack.messages[0]!.history[0]!.blocks)).toContain('Deploying 1.4.0 to prod');
    expect(slack.requests.map((q) => q.endpoint)).toEqual(['chat.postMessage', 'chat.update']);
    expectNoSecrets(first);
    expectNoSecrets(second);
  });

  it('429 with Retry-After is retried after the time Slack asks', async () => {
    slack.failNext(1, { status: 429, retryAfter: 1 });
    const r = await notify({ event: 'started', ...bot });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('sent');
    expect(slack.requests.map((q) => q.status)).toEqual([429, 200]);
    expect(r.stdout).toContain('rate limited (HTTP 429, Retry-After 1 s); retry 1 in 1.0 s');
  });

  it('invalid_auth: a clear warning, status failed, exit 0', async () => {
    const r = await notify({ event: 'started', token: 'xoxb-CANARY-wrong', channel: 'C0DEPLOYS' });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ status: 'failed', ts: '', channel: 'C0DEPLOYS' });
    const w = warnings(r).find((c) => c.properties.title === 'FERRY_SLACK_AUTH');
    expect(w?.message).toContain('Slack chat.postMessage: the token is not valid (mistyped, revoked, or from another workspace) (invalid_auth)');
    expect(w?.message).toContain('fix: ');
    expect(r.summary).toContain('FERRY_SLACK_AUTH');
    expectNoSecrets(r);
  });

  it('a Slack outage does not fail the step; with fail-on-error: true it does', async () => {
    slack.failNext(4, { status: 503 });
    const soft = await notify({ event: 'failed', 'webhook-url': slack.webhookUrl });
    expect(soft.code).toBe(0);
    expect(soft.outputs.status).toBe('failed');
    expect(warnings(soft).some((c) => c.properties.title === 'FERRY_SLACK_UNAVAILABLE' && c.message.includes('gave up after 4 attempts'))).toBe(true);
    expect(soft.summary).toContain('The deployment is not affected');

    slack.failNext(4, { status: 503 });
    const hard = await notify({ event: 'failed', 'webhook-url': slack.webhookUrl, 'fail-on-error': 'true' });
    expect(hard.code).toBe(1);
    expect(hard.outputs.status).toBe('failed');
    expect(hard.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_SLACK_UNAVAILABLE')).toBe(true);
    expect(slack.messages).toEqual([]);
    expectNoSecrets(soft);
    expectNoSecrets(hard);
  });

  it('user text with quotes, newlines, <!channel> and @here arrives escaped; only `mention` mentions', async () => {
    const evil = 'Fix "orders" <!channel> <@U0BOSS> @here & more';
    const event = { head_commit: { id: sha, message: `${evil}\n\nsecond "line"` } };
    const r = await notify({ event: 'failed', ...bot, summary: 'line one\nline "two" <!here> @everyone', 'failed-step': 'apply <!channel>', mention: 'S0ONCALL' }, { event });
    expect(r.code).toBe(0);
    const m = slack.messages[0]!;
    const all = JSON.stringify([m.text, m.blocks]);
    expect(all).toContain('Fix \\"orders\\" &lt;!channel&gt; &lt;@U0BOSS&gt; @\u2060here &amp; more');
    expect(all).toContain('line one\\nline \\"two\\" &lt;!here&gt; @\u2060everyone');
    expect(all).not.toMatch(/<!(channel|here|everyone)>|<@U0BOSS>|(?<!\u2060)@(here|everyone)\b/);
    expect(all.match(/<!subteam\^S0ONCALL>/g)?.length).toBeGreaterThan(0);
    expect(m.text).toContain('<!subteam^S0ONCALL>');
  });

  it('plan-path: the message shows planned changes per kind', async () => {
    const plan = { format: 'ferry.plan/v1', kinds: [{ kind: 'dags', changes: [{ kind: 'dags', path: 'a.py', action: 'create', reason: 'new' }, { kind: 'dags', path: 'b.py', action: 'update', reason: 'changed' }], unchanged: 3, notes: [] }] };
    fs.writeFileSync(path.join(cwd, 'plan.json'), JSON.stringify(plan));
    const r = await notify({ event: 'awaiting-approval', ...bot, 'plan-path': 'plan.json', 'review-url': 'https://github.com/acme/data/actions/runs/1000/approve' });
    expect(r.code).toBe(0);
    const blocks = JSON.stringify(slack.messages[0]!.blocks);
    expect(blocks).toContain('dags: 1 new, 1 changed');
    expect(blocks).toContain('"url":"https://github.com/acme/data/actions/runs/1000/approve"');
  });

  it('without webhook-url and token: skipped with a notice, exit 0', async () => {
    const r = await notify({ event: 'succeeded' });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ status: 'skipped', ts: '', channel: '' });
    expect(r.commands.some((c) => c.command === 'notice' && c.message.includes('no Slack message sent'))).toBe(true);
    expect(slack.requests).toEqual([]);
  });

  it('a bad event is refused with FERRY_INPUT before anything is sent', async () => {
    const r = await notify({ event: 'deployed', ...bot });
    expect(r.code).toBe(1);
    expect(r.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_INPUT' && c.message.includes('input "event" must be one of'))).toBe(true);
    expect(r.outputs).toEqual({});
    expectNoSecrets(r);
    expect(slack.requests).toEqual([]);
  });

  it('a bad mention only warns: the message goes out mentioning no one', async () => {
    const r = await notify({ event: 'failed', ...bot, mention: '<!channel>' });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('sent');
    expect(warnings(r).some((c) => c.properties.title === 'FERRY_INPUT' && c.message.includes('mentions no one'))).toBe(true);
    expect(JSON.stringify(slack.messages[0])).not.toMatch(/<!|<@/);
  });

  it('a token without channel (and no webhook) warns with FERRY_SLACK_CHANNEL, exit 0', async () => {
    const r = await notify({ event: 'started', token: TOKEN });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('failed');
    expect(warnings(r).some((c) => c.properties.title === 'FERRY_SLACK_CHANNEL')).toBe(true);
    expectNoSecrets(r);
  });
});
