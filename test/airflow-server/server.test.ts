/** Proves the fake's OpenAPI checks can fail, for the right reasons, on both descriptions. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { expectNoViolations, startAirflowServer, type AirflowServer } from './index.js';

let af: AirflowServer;
afterEach(async () => {
  await af.close();
});

const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(af.url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
async function token(): Promise<string> {
  const res = await call('POST', '/auth/token', { username: 'admin', password: 'pw' });
  return `Bearer ${(res.body as { access_token: string }).access_token}`;
}

describe('Airflow 3 fake (/api/v2, OpenAPI 3.1)', () => {
  it('issues tokens at /auth/token, checked against the simple auth manager description', async () => {
    af = await startAirflowServer({ api: 'v2', users: { admin: 'pw' } });
    expect((await call('POST', '/auth/token', { username: 'admin', password: 'bad' })).status).toBe(401);
    expect(await call('POST', '/auth/token', { username: 'admin' })).toMatchObject({ status: 422 });
    expect(af.violations.map((v) => [v.operationId, v.where, v.errors[0]?.keyword])).toEqual([['create_token', 'body', 'required']]);
    af.violations.length = 0;
    const auth = await token();
    expect((await call('GET', '/api/v2/dags/x/details', undefined, { authorization: auth })).status).toBe(404);
    // Airflow 3 takes no basic auth; the version is public.
    expect((await call('GET', '/api/v2/dags/x/details', undefined, { authorization: basic })).status).toBe(401);
    expect((await call('GET', '/api/v2/version')).status).toBe(200);
    expectNoViolations(af);
  });

  it('records bodies, queries, headers and routes that the description rejects', async () => {
    af = await startAirflowServer({ api: 'v2', users: { admin: 'pw' } });
    const auth = { authorization: await token() };
    expect((await call('PATCH', '/api/v2/dags/x', { is_paused: 'yes' }, auth)).status).toBe(422);
    expect((await call('POST', '/api/v2/connections', { connection_id: 'bad id!', conn_type: 'http' }, auth)).status).toBe(422);
    await call('GET', '/api/v2/importErrors?limit=-1', undefined, auth);
    await call('GET', '/api/v2/importErrors?colour=red', undefined, auth);
    await call('GET', '/api/v2/dagSources/x', undefined, { ...auth, accept: 'text/html' });
    await call('GET', '/api/v2/no/such/thing', undefined, auth);
    await call('GET', '/api/v2/pools', undefined, auth);
    expect(af.violations.map((v) => [v.operationId, v.where])).toEqual([
      ['patch_dag', 'body'],
      ['post_connection', 'body'],
      ['get_import_errors', 'query'],
      ['get_import_errors', 'query'],
      ['get_dag_source', 'header'],
      [null, 'route'],
      ['get_pools', 'unimplemented'],
    ]);
    expect(() => expectNoViolations(af)).toThrow(/patch_dag.*body[\s\S]*\/is_paused must be boolean/);
  });

  it('validates its own answers, with nullable $refs read as nullable', async () => {
    af = await startAirflowServer({ api: 'v2', users: { admin: 'pw' }, dagsFolder: '/nonexistent' });
    af.state.dags.set('d', { dagId: 'd', file: 'd.py', isPaused: true, active: true, lastParsedTime: new Date(), versions: [{ id: af.state.uuid(), number: 1, source: 'x', createdAt: new Date() }], schedule: '@daily' });
    const auth = { authorization: await token() };
    expect((await call('GET', '/api/v2/dags/d/details', undefined, auth)).status).toBe(200);
    const undo = af.tamper('get_dag_details', (b) => ({ ...(b as object), latest_dag_version: null }));
    await call('GET', '/api/v2/dags/d/details', undefined, auth);
    expectNoViolations(af);
    undo();
    af.tamper('get_dag_details', (b) => ({ ...(b as object), latest_dag_version: 7, is_paused: 'no' }));
    await call('GET', '/api/v2/dags/d/details', undefined, auth);
    expect(af.violations).toEqual([expect.objectContaining({ operationId: 'get_dag_details', where: 'response', status: 200 })]);
    expect(af.violations[0]!.errors.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/latest_dag_version', '/is_paused']));
  });
});

describe('Airflow 2 fake (/api/v1, OpenAPI 3.0)', () => {
  it('takes basic auth or a configured token; the version is public', async () => {
    af = await startAirflowServer({ api: 'v1', users: { admin: 'pw' }, tokens: ['t0k'] });
    expect((await call('GET', '/api/v1/version')).status).toBe(200);
    expect(await call('GET', '/api/v1/dags/x')).toMatchObject({ status: 401, body: { title: 'Unauthorized', status: 401 } });
    expect((await call('GET', '/api/v1/dags/x', undefined, { authorization: basic })).status).toBe(404);
    expect((await call('GET', '/api/v1/dags/x', undefined, { authorization: 'Bearer t0k' })).status).toBe(404);
    // A client probing for Airflow 3 gets a plain 404: not a violation.
    expect((await call('GET', '/api/v2/version')).status).toBe(404);
    expectNoViolations(af);
  });

  it('reads path-item parameters and comma-separated update masks; rejects wrong bodies', async () => {
    af = await startAirflowServer({ api: 'v1', users: { admin: 'pw' } });
    const auth = { authorization: basic };
    expect((await call('PATCH', '/api/v1/variables/k?update_mask=value,description', { key: 'k', value: 'v' }, auth)).status).toBe(404);
    expect((await call('POST', '/api/v1/variables', { key: 'k', value: 'v' }, auth)).status).toBe(200);
    expectNoViolations(af);
    expect((await call('POST', '/api/v1/variables', { key: 'k', value: 3 }, auth)).status).toBe(400);
    expect(af.violations).toEqual([expect.objectContaining({ operationId: 'post_variables', where: 'body' })]);
  });
});
