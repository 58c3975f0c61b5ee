/**
 * A stateful, in-memory GitHub REST API for tests, every request and response
 * checked against GitHub's official OpenAPI description (`@octokit/openapi`).
 *
 *   const gh = await startGitHubServer({ owner: 'acme', repo: 'data', token: 'test-token' });
 *   const octokit = new Octokit({ auth: 'test-token', baseUrl: gh.url });
 *   ...
 *   expectNoViolations(gh);
 *   await gh.close();
 */
import { formatErrors, type Violation } from './openapi-validator.js';
import { GitHubServer, type GitHubServerOptions } from './server.js';

export { GitHubServer } from './server.js';
export type { GitHubServerOptions, RequestLogEntry, ResponseTamper } from './server.js';
export type { Violation, ViolationWhere } from './openapi-validator.js';
export type * from './state.js';
export { GITHUB_ACTIONS_BOT } from './state.js';

export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  const started = performance.now();
  const server = new GitHubServer(options);
  await server.listen();
  server.startupMs = performance.now() - started;
  return server;
}

/** Readable, one block per violation. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => {
      const head = `${v.method} ${v.path} [${v.operationId ?? 'no operation'}] ${v.where}${v.status ? ` ${v.status}` : ''}: ${v.message}`;
      return [head, ...formatErrors(v.errors).map((line) => `    ${line}`)].join('\n');
    })
    .join('\n');
}

/** Throws when the server saw any request or response that does not match GitHub's description. */
export function expectNoViolations(gh: Pick<GitHubServer, 'violations'>): void {
  if (gh.violations.length === 0) return;
  throw new Error(`${gh.violations.length} OpenAPI violation(s):\n${formatViolations(gh.violations)}`);
}
