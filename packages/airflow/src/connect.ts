/**
 * An AirflowClient for an environment's `airflow:` settings: credentials
 * resolved (`${secret:NAME}` through the deploy's secret lookup, which masks
 * them; literal passwords and tokens are masked here), and the API chosen by
 * `api:` or detected.
 *
 * Detection (`api: auto`) asks `GET /api/v2/version`, then
 * `GET /api/v1/version`, without credentials: both operations are public in
 * Airflow (neither declares a security requirement of its own in the API
 * descriptions), and a 401/403 still proves the API is there. A 404 (or a
 * 200 that is not version JSON: a login page) means it is not.
 */
import { FerryError, problem, type AirflowConfig, type Runner } from '@ferry/core';
import { createAuth, type Credentials } from './auth.js';
import { Http, type Fetch, type Sleep } from './http.js';
import type { AirflowApi, AirflowClient } from './types.js';
import { AirflowV1Client } from './v1.js';
import { AirflowV2Client } from './v2.js';

export interface ConnectOptions {
  /** The deploy's secret lookup (masks what it returns). */
  secret: (name: string) => string | undefined;
  runner: Runner;
  fetch?: Fetch;
  sleep?: Sleep;
  now?: () => number;
  timeoutMs?: number;
}

const REF = /\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export async function connectAirflow(config: Pick<AirflowConfig, 'url' | 'api' | 'auth'>, options: ConnectOptions): Promise<AirflowClient> {
  const http = new Http({ baseUrl: config.url, fetch: options.fetch, sleep: options.sleep, timeoutMs: options.timeoutMs });
  const credentials = resolveCredentials(config.auth, options);
  const api = config.api === 'auto' ? await detectApi(http) : config.api;
  const auth = createAuth(api, http, credentials);
  return api === 'v2' ? new AirflowV2Client(http, auth, options.now) : new AirflowV1Client(http, auth, options.now);
}

export async function detectApi(http: Http): Promise<AirflowApi> {
  const seen: string[] = [];
  for (const api of ['v2', 'v1'] as const) {
    const res = await http.send<{ version?: unknown }>({ method: 'GET', path: `/api/${api}/version` });
    const isVersion = res.status === 200 && typeof res.body === 'object' && res.body !== null && typeof res.body.version === 'string';
    if (isVersion || res.status === 401 || res.status === 403) return api;
    seen.push(`/api/${api}/version → ${res.status}`);
  }
  throw new FerryError(
    problem('FERRY_AIRFLOW_API', `no Airflow REST API at ${http.baseUrl} (${seen.join(', ')})`, {
      hint: 'Set airflow.url to the base URL of the Airflow webserver (Airflow 2) or API server (Airflow 3), without /api/v1 or /api/v2, or set airflow.api to v1 or v2.',
    }),
  );
}

/** `${secret:NAME}` references replaced through the secret lookup; a missing secret fails before any request. */
export function resolveCredentials(auth: AirflowConfig['auth'], options: Pick<ConnectOptions, 'secret' | 'runner'>): Credentials | undefined {
  if (!auth) return undefined;
  const missing = new Set<string>();
  const resolve = (value: string, secret: boolean): string => {
    const out = value.replace(REF, (_, name: string) => {
      const v = options.secret(name);
      if (v === undefined || v === '') missing.add(name);
      return v ?? '';
    });
    if (secret) options.runner.mask(out);
    return out;
  };
  const credentials: Credentials =
    'token' in auth ? { token: resolve(auth.token, true) } : { username: resolve(auth.username, false), password: resolve(auth.password, true) };
  if (missing.size) {
    throw new FerryError(
      [...missing].map((name) =>
        problem('FERRY_SECRET_MISSING', `secret ${name} (used in airflow.auth) is not set`, { location: { key: 'airflow.auth' } }),
      ),
    );
  }
  return credentials;
}
