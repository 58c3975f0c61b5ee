/**
 * Runs the fake GitHub API by hand:
 *
 *   node --import tsx test/github-server/serve.ts --port 0 [--owner acme] [--repo data] [--token test-token]
 *
 * Prints `{"url": ..., "owner": ..., "repo": ..., "token": ...}` on stdout, then
 * serves until interrupted, reporting any OpenAPI violations on stderr.
 */
import { parseArgs } from 'node:util';
import { formatViolations, startGitHubServer } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    owner: { type: 'string', default: 'acme' },
    repo: { type: 'string', default: 'data' },
    token: { type: 'string', default: 'test-token' },
  },
});

const gh = await startGitHubServer({
  owner: values.owner,
  repo: values.repo,
  token: values.token,
  host: values.host,
  port: Number(values.port),
});
process.stdout.write(
  `${JSON.stringify({ url: gh.url, owner: values.owner, repo: values.repo, token: values.token, startupMs: Math.round(gh.startupMs) })}\n`,
);

let reported = 0;
const timer = setInterval(() => {
  if (gh.violations.length > reported) {
    process.stderr.write(`${formatViolations(gh.violations.slice(reported))}\n`);
    reported = gh.violations.length;
  }
}, 500);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(timer);
    void gh.close().then(() => process.exit(0));
  });
}
