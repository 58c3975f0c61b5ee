/** Proves the OpenAPI checks can fail, and that they fail for the right reasons. */
import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OpenApiValidator } from './openapi-validator.js';
import { loadSpec } from './spec.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('request validation', () => {
  it('answers 422 Validation Failed for a body that breaks the schema, and records it', async () => {
    const res = await raw('POST', '/repos/acme/data/deployments', { ref: 123 });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { message: string; errors: Array<{ field?: string; code: string }>; documentation_url: string };
    expect(body.message).toBe('Validation Failed');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'ref', code: 'invalid' })]);
    expect(body.documentation_url).toContain('docs.github.com');
    expect(gh.violations).toEqual([
      expect.objectContaining({ operationId: 'repos/create-deployment', where: 'body', errors: [expect.objectContaining({ instancePath: '/ref', keyword: 'type' })] }),
    ]);
    expect(gh.state.deployments).toHaveLength(0);
    expect(() => expectNoViolations(gh)).toThrow(/repos\/create-deployment.*body[\s\S]*\/ref must be string/);
  });

  it('reports a missing required field and a wrong enum value through Octokit too', async () => {
    const octokit = octokitFor(gh);
    // @ts-expect-error deliberately missing `ref`
    expect(await statusOf(octokit.rest.repos.createDeployment({ ...repo, environment: 'x' }))).toBe(422);
    // @ts-expect-error deliberately invalid state
    expect(await statusOf(octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: 1, state: 'done' }))).toBe(422);
    expect(gh.violations.map((v) => v.errors[0]?.keyword)).toEqual(['required', 'enum']);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await raw('POST', '/repos/acme/data/issues', '{"title":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: 'Problems parsing JSON' });
    expect(gh.violations.map((v) => v.where)).toEqual(['body']);
  });

  it('validates and coerces query parameters; undeclared ones are reported but ignored, as GitHub does', async () => {
    expect((await raw('GET', '/repos/acme/data/deployments?per_page=abc')).status).toBe(422);
    expect(gh.violations.map((v) => v.where)).toEqual(['query']);
    gh.violations.length = 0;
    const res = await raw('GET', '/repos/acme/data/deployments?per_page=5&environmnet=prod');
    expect(res.status).toBe(200);
    expect(gh.violations).toEqual([expect.objectContaining({ where: 'query', message: expect.stringContaining('environmnet') })]);
  });

  it('answers 404 when a path parameter does not fit its type', async () => {
    expect((await raw('GET', '/repos/acme/data/deployments/abc')).status).toBe(404);
    expect(gh.violations).toEqual([expect.objectContaining({ where: 'path', operationId: 'repos/get-deployment' })]);
  });

  it('answers 404 for routes not in the description, and for spec operations this fake lacks', async () => {
    const octokit = octokitFor(gh);
    expect(await statusOf(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', repo))).toBe(404);
    const res = await raw('GET', '/repos/acme/data/no-such-thing');
    expect(await res.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    expect(await statusOf(octokit.rest.repos.listBranches(repo))).toBe(404);
    expect(gh.violations.map((v) => [v.where, v.operationId])).toEqual([
      ['route', null],
      ['route', null],
      ['unimplemented', 'repos/list-branches'],
    ]);
  });
});

describe('response validation', () => {
  it('records a response that breaks the schema (test-only tamper hook)', async () => {
    const octokit = octokitFor(gh);
    const undo = gh.tamper('repos/create-deployment', (body) => {
      const d = body as Record<string, unknown>;
      delete d.node_id; // required
      d.created_at = 'yesterday'; // format: date-time
      d.creator = null; // nullable-simple-user: allowed
      return d;
    });
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main' });
    expect(gh.violations).toHaveLength(1);
    const [violation] = gh.violations;
    expect(violation).toMatchObject({ where: 'response', status: 201, operationId: 'repos/create-deployment' });
    const problems = violation?.errors.map((e) => `${e.instancePath} ${e.keyword}`).sort();
    expect(problems).toEqual([' required', '/created_at format']);

    undo();
    gh.violations.length = 0;
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main' });
    expectNoViolations(gh);
  });

  it('honours nullable: null is rejected where the spec does not allow it', async () => {
    const octokit = octokitFor(gh);
    gh.tamper('repos/create-deployment', (body) => ({ ...(body as object), sha: null, description: null }));
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main' });
    // `description` is nullable, `sha` is not.
    expect(gh.violations.flatMap((v) => v.errors.map((e) => e.instancePath))).toEqual(['/sha']);
  });

  it('honours nullable on enums (issue.state_reason) and on compositions without a type (milestone)', async () => {
    const octokit = octokitFor(gh);
    // issues/create's `milestone` is `{oneOf: [string, integer], nullable: true}`: no `type` beside `nullable`.
    const { data: issue } = await octokit.rest.issues.create({ ...repo, title: 't', milestone: null });
    expect(issue.state_reason).toBeNull(); // `enum: [completed, ...]` + nullable, null not listed
    expectNoViolations(gh);
    // @ts-expect-error deliberately invalid milestone
    expect(await statusOf(octokit.rest.issues.create({ ...repo, title: 't', milestone: true }))).toBe(422);
    expect(gh.violations).toHaveLength(1);
    gh.violations.length = 0;

    gh.tamper('issues/get', (body) => ({ ...(body as object), state_reason: 'forgotten' }));
    await octokit.rest.issues.get({ ...repo, issue_number: issue.number });
    expect(gh.violations.flatMap((v) => v.errors.map((e) => `${e.instancePath} ${e.keyword}`))).toEqual(['/state_reason enum']);
  });

  it('accepts the global error answers (401 bad credentials) on any operation', async () => {
    expect((await raw('GET', '/repos/acme/data', undefined, { authorization: 'token nope' })).status).toBe(401);
    expectNoViolations(gh);
  });

  it('flags a status code the operation does not document', () => {
    const validator = new OpenApiValidator(loadSpec());
    const match = validator.router.match('POST', '/repos/acme/data/deployments');
    if (!match) throw new Error('no match');
    // create-deployment documents 201, 202, 409 and 422; a 200 would be a bug in the fake.
    expect(validator.validateResponse(match.op, 200, 'application/json', {})).toEqual([
      expect.objectContaining({ message: 'status 200 is not documented for repos/create-deployment' }),
    ]);
    expect(validator.validateResponse(match.op, 409, undefined, undefined)).toEqual([]);
  });
});

describe('startup', () => {
  it('starts fast once the description is loaded, and indexes every operation', async () => {
    const second = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
    try {
      expect(second.specOperations).toBeGreaterThan(1000);
      expect(second.startupMs).toBeLessThan(200);
    } finally {
      await second.close();
    }
  });
});
