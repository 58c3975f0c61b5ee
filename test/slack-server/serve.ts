/**
 * Runs the local Slack by hand:
 *
 *   node --import tsx test/slack-server/serve.ts [--port 0] [--token xoxb-ferry-test-token]
 *
 * Prints `{"url": ..., "webhookUrl": ..., "token": ...}` on stdout, then logs
 * every message (and update) and every rule a request broke on stderr until interrupted.
 */
import { parseArgs } from 'node:util';
import { startSlackServer } from './index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, token: { type: 'string', default: 'xoxb-ferry-test-token' } } });
const slack = await startSlackServer({ port: Number(values.port), token: values.token });
process.stdout.write(`${JSON.stringify({ url: slack.url, webhookUrl: slack.webhookUrl, token: slack.token })}\n`);

let seen = 0;
let violations = 0;
const timer = setInterval(() => {
  for (const r of slack.requests.slice(seen)) process.stderr.write(`${r.endpoint} ${r.status}${r.error && r.error !== 'ok' ? ` ${r.error}` : ''}\n`);
  seen = slack.requests.length;
  for (const v of slack.violations.slice(violations)) process.stderr.write(`violation: ${v.endpoint} ${v.error}: ${v.detail}\n`);
  violations = slack.violations.length;
}, 200);
const stop = async () => {
  clearInterval(timer);
  process.stderr.write(`${JSON.stringify(slack.messages, null, 2)}\n`);
  await slack.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
