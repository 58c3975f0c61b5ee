/**
 * Credentials → the Authorization header.
 *
 * - Airflow 2 (`/api/v1`): HTTP basic auth with username/password (the
 *   basic_auth backend), or a bearer token as given (Composer's Google
 *   OpenID token, a proxy's token...).
 * - Airflow 3 (`/api/v2`): only JWT bearer tokens. Given a username/password,
 *   ferry exchanges them at `POST {url}/auth/token` (JSON body
 *   `{username, password}` → `201 {access_token}`), the endpoint the simple
 *   auth manager, the FAB provider and the Keycloak provider all serve. It is
 *   not in the public API description (v2-airflow-3.yaml only names it as the
 *   OAuth2 password flow's tokenUrl); its shape is the simple auth manager's
 *   own OpenAPI description. The token is fetched once and fetched again once
 *   if the API answers 401 (it expired).
 */
import { FerryError, problem } from '@ferry/core';
import { airflowDetail, type Http } from './http.js';
import type { AirflowApi } from './types.js';

export type Credentials = { username: string; password: string } | { token: string };

export interface Auth {
  /** The header value, or undefined to send none. */
  header(): Promise<string | undefined>;
  /** After a 401: get a new token if that can help; false when nothing changed. */
  renew(): Promise<boolean>;
  describe(): string;
}

export function createAuth(api: AirflowApi, http: Http, credentials: Credentials | undefined): Auth {
  if (!credentials) return { header: async () => undefined, renew: async () => false, describe: () => 'no credentials' };
  if ('token' in credentials) {
    const value = `Bearer ${credentials.token}`;
    return { header: async () => value, renew: async () => false, describe: () => 'the configured token' };
  }
  if (api === 'v1') {
    const value = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    return { header: async () => value, renew: async () => false, describe: () => `basic auth as ${credentials.username}` };
  }
  return new TokenExchange(http, credentials);
}

class TokenExchange implements Auth {
  private token: Promise<string> | undefined;

  constructor(
    private readonly http: Http,
    private readonly credentials: { username: string; password: string },
  ) {}

  async header(): Promise<string> {
    this.token ??= this.fetchToken();
    try {
      return `Bearer ${await this.token}`;
    } catch (e) {
      this.token = undefined;
      throw e;
    }
  }

  async renew(): Promise<boolean> {
    this.token = this.fetchToken();
    await this.token;
    return true;
  }

  describe(): string {
    return `a token for ${this.credentials.username} from /auth/token`;
  }

  private async fetchToken(): Promise<string> {
    const url = `${this.http.baseUrl}/auth/token`;
    const res = await this.http.send<{ access_token?: unknown }>({ method: 'POST', path: '/auth/token', body: this.credentials });
    if ((res.status === 200 || res.status === 201) && typeof res.body?.access_token === 'string') return res.body.access_token;
    const detail = airflowDetail(res.body);
    if (res.status === 401 || res.status === 403) {
      throw new FerryError(
        problem('FERRY_AIRFLOW_AUTH', `Airflow rejected the username/password for ${this.credentials.username} at POST ${url} (${res.status}${detail ? `: ${detail}` : ''})`),
      );
    }
    if (res.status === 404 || res.status === 405) {
      throw new FerryError(
        problem('FERRY_AIRFLOW_AUTH', `POST ${url} does not exist (${res.status}): this Airflow's auth manager does not issue tokens for a username/password`, {
          hint: 'Get a token the way your auth manager documents it and set airflow.auth.token (as ${secret:NAME}).',
        }),
      );
    }
    throw new FerryError(problem('FERRY_AIRFLOW_AUTH', `POST ${url} answered ${res.status} without an access_token${detail ? `: ${detail}` : ''}`));
  }
}
