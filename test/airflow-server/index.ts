/**
 * Stateful fake Airflow 2 (`/api/v1`) and Airflow 3 (`/api/v2`) REST APIs for
 * tests, every request and response checked against shared/specs/airflow, with
 * a simulated DAG processor reading a DAG folder (see README.md).
 *
 *   const af = await startAirflowServer({ api: 'v2', users: { admin: 'pw' }, dagsFolder });
 *   ... ferry talks to af.url ...
 *   await af.processor.parse();
 *   expectNoViolations(af);
 *   await af.close();
 */
import { formatErrors, type Violation } from './openapi.js';
import { AirflowServer, type AirflowServerOptions } from './server.js';

export { AirflowServer } from './server.js';
export type { AirflowServerOptions, RequestLogEntry } from './server.js';
export type { Violation, ViolationWhere } from './openapi.js';
export type * from './state.js';

export async function startAirflowServer(options: AirflowServerOptions): Promise<AirflowServer> {
  const server = new AirflowServer(options);
  await server.listen();
  return server;
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => {
      const head = `${v.method} ${v.path} [${v.operationId ?? 'no operation'}] ${v.where}${v.status ? ` ${v.status}` : ''}: ${v.message}`;
      return [head, ...formatErrors(v.errors).map((line) => `    ${line}`)].join('\n');
    })
    .join('\n');
}

/** Throws when the server saw a request or answered a response its API description rejects. */
export function expectNoViolations(server: Pick<AirflowServer, 'violations'>): void {
  if (server.violations.length === 0) return;
  throw new Error(`${server.violations.length} OpenAPI violation(s):\n${formatViolations(server.violations)}`);
}
