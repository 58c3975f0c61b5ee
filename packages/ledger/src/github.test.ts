import { afterEach, describe, expect, it } from '@jest/globals';
import type { StartDeployment } from '@ferry/core';
import { createClient, type GitHubContext } from '@ferry/github';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../../../test/github-server/index.js';
import { describeLedgerConformance } from './conformance.js';
import { GitHubLedger, type GitHubLedgerOptions } from './github.js';
import { currentDeployment, history, rollbackCandidate } from './queries.js';

const TOKEN = 'test-token';
const RUN_ID = '4242';
const SHA = 'c'.repeat(40);
const rid = (n: number) => n.toString(16).padStart(64, '0');

// Every server a test starts is checked against GitHub's description and closed after it.
let servers: GitHubServer[] = [];
afterEach(async () => {
  const started = servers;
  servers = [];
  await Promise.all(started.map((gh) => gh.close()));
  for (const gh of started) expectNoViolations(gh);
});

async function setup(opts: GitHubLedgerOptions = {}, runId: string | null = RUN_ID) {
  const gh = await startGitHubServer({ owner: 'acme', repo: 'data', token: TOKEN });
  servers.push(gh);
  const ctx: GitHubContext = { owner: 'acme', repo: 'data', serverUrl: 'https://github.com', apiUrl: gh.url, sha: SHA, ...(runId ? { runId } : {}) };
  return { gh, ledger: new GitHubLedger(createClient(TOKEN, gh.url), ctx, opts) };
}

const start = (environment: string, n: number, extra: Partial<StartDeployment> = {}): StartDeployment => ({
  environment,
  releaseId: rid(n),
  version: `2026.01.0${n}-abcdef0`,
  commit: 'b'.repeat(40),
  ref: 'refs/heads/main',
  production: environment === 'prod',
  manifestDigest: 'd'.repeat(64),
  description: `deploy ${n}`,
  ...extra,
});

describeLedgerConformance('GitHub Deployments', async () => (await setup()).ledger, { manyRecords: 150 });

describe('GitHubLedger on GitHub', () => {
  it('creates its own deployment: payload.ferry, production flag, ref = commit, in_progress → success linked to the run', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true }); // reuse finds no deployment of this run
    const r = await ledger.start(start('prod', 1, { environmentUrl: 'https://airflow.acme.example' }));
    await ledger.finish(r.id, 'success', 'done');

    expect(gh.state.deployments).toHaveLength(1);
    const d = gh.state.deployments[0]!;
    expect(String(d.id)).toBe(r.id);
    expect(d).toMatchObject({ environment: 'prod', ref: 'b'.repeat(40), sha: 'b'.repeat(40), productionEnvironment: true, transientEnvironment: false });
    expect(d.payload).toEqual({ ferry: { releaseId: rid(1), version: '2026.01.01-abcdef0', manifestDigest: 'd'.repeat(64), commit: 'b'.repeat(40), ref: 'refs/heads/main' } });
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    for (const s of d.statuses) expect(s.logUrl).toBe(`https://github.com/acme/data/actions/runs/${RUN_ID}`);
    // GitHub links "View deployment" to the latest status's environment_url: every status carries it.
    for (const s of d.statuses) expect(s.environmentUrl).toBe('https://airflow.acme.example');

    const cur = await currentDeployment(ledger, 'prod');
    expect(cur).toMatchObject({ id: r.id, releaseId: rid(1), outcome: 'success', logUrl: `https://github.com/acme/data/actions/runs/${RUN_ID}`, creator: 'github-actions[bot]' });
  });

  it('without a run id there is nothing to reuse: a new deployment is created', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true }, null);
    gh.seedRunDeployment({ environment: 'dev', sha: SHA, runId: Number(RUN_ID) });
    await ledger.start(start('dev', 1));
    expect(gh.state.deployments).toHaveLength(2);
    expect(gh.state.deployments[1]!.payload).toMatchObject({ ferry: { releaseId: rid(1) } });
  });

  it('without reuseRunDeployment the run deployment is left alone', async () => {
    const { gh, ledger } = await setup({});
    const seeded = gh.seedRunDeployment({ environment: 'dev', sha: SHA, runId: Number(RUN_ID) });
    const r = await ledger.start(start('dev', 1));
    expect(r.id).not.toBe(String(seeded.id));
    expect(gh.state.deployments).toHaveLength(2);
    expect(seeded.statuses).toHaveLength(1);
  });

  it('reuses the deployment GitHub made for this run, and GitHub\'s own later statuses do not change the outcome', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true });
    const seeded = gh.seedRunDeployment({ environment: 'staging', sha: SHA, runId: Number(RUN_ID) });
    const r = await ledger.start(start('staging', 7, { rollbackOf: rid(9) }));
    expect(r.id).toBe(String(seeded.id));
    expect(r).toMatchObject({ releaseId: rid(7), version: '2026.01.07-abcdef0', outcome: 'in_progress' });
    await ledger.finish(r.id, 'success', 'deployed');
    await ledger.verify(r.id, 'verified', 'smoke tests passed');
    expect(gh.state.deployments).toHaveLength(1);

    // The job ends: GitHub posts its own status (no [ferry prefix), here a failure from a later step.
    await createClient(TOKEN, gh.url).rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'data', deployment_id: seeded.id, state: 'failure', log_url: `https://github.com/acme/data/actions/runs/${RUN_ID}/job/1` });
    expect(seeded.statuses.at(-1)!.state).toBe('failure');

    const [rec] = await history(ledger, 'staging');
    expect(rec).toMatchObject({ id: String(seeded.id), releaseId: rid(7), version: '2026.01.07-abcdef0', outcome: 'success', verification: 'verified', creator: 'github-actions[bot]' });
    expect(rid(9).startsWith(rec!.rollbackOf!)).toBe(true);
  });

  it('on a reused run deployment keeps the approval in a [ferry:approval] status and reads it back', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true });
    const seeded = gh.seedRunDeployment({ environment: 'prod', sha: SHA, runId: Number(RUN_ID) });
    const approval = { mode: 'environment' as const, environment: 'prod', releaseId: rid(7), approvers: [{ login: 'alice', at: '2026-11-27T10:00:00Z' }], override: { window: 'weekend', reason: 'hotfix' } };
    const r = await ledger.start(start('prod', 7, { approval }));
    expect(r.id).toBe(String(seeded.id));
    await ledger.finish(r.id, 'success', 'deployed');
    expect(seeded.statuses.map((s) => s.description)).toContain(`[ferry:approval] environment prod ${rid(7).slice(0, 12)} alice override hotfix`);
    const [rec] = await history(ledger, 'prod');
    expect(rec).toMatchObject({ outcome: 'success', approval: { mode: 'environment', environment: 'prod', approvers: [{ login: 'alice' }], override: { reason: 'hotfix' } } });
    expect(rid(7).startsWith(rec!.approval!.releaseId)).toBe(true);
  });

  it('does not reuse the deployment of another run', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true });
    const other = gh.seedRunDeployment({ environment: 'staging', sha: SHA, runId: 1111 });
    const r = await ledger.start(start('staging', 1));
    expect(r.id).not.toBe(String(other.id));
    expect(other.statuses).toHaveLength(1);
    expect(gh.state.deployments[1]!.payload).toMatchObject({ ferry: { releaseId: rid(1) } });
  });

  it('reuses the run deployment only once: a second deploy in the same job gets its own record', async () => {
    const { gh, ledger } = await setup({ reuseRunDeployment: true });
    const seeded = gh.seedRunDeployment({ environment: 'dev', sha: SHA, runId: Number(RUN_ID) });
    const a = await ledger.start(start('dev', 1));
    await ledger.finish(a.id, 'success', 'ok');
    const b = await ledger.start(start('dev', 2, { rollbackOf: rid(1) }));
    await ledger.finish(b.id, 'success', 'rolled back');
    expect(a.id).toBe(String(seeded.id));
    expect(b.id).not.toBe(a.id);
    expect((await history(ledger, 'dev')).map((r) => r.releaseId)).toEqual([rid(2), rid(1)]);
  });

  it('keeps older deployments successful after GitHub marks them inactive, so rollback finds them', async () => {
    const { gh, ledger } = await setup();
    for (const n of [1, 2]) {
      const r = await ledger.start(start('prod', n));
      await ledger.finish(r.id, 'success', 'ok');
    }
    expect(gh.state.deployments[0]!.statuses.at(-1)!.state).toBe('inactive');
    const { current, target } = await rollbackCandidate(ledger, 'prod');
    expect(current!.releaseId).toBe(rid(2));
    expect(target).toMatchObject({ releaseId: rid(1), outcome: 'success' });
  });

  it('skips deployments in the environment that are not ferry\'s', async () => {
    const { gh, ledger } = await setup();
    const r = await ledger.start(start('dev', 1));
    await ledger.finish(r.id, 'success', 'ok');
    // Someone else's deployment tool, newer than ferry's, with a success of its own.
    const octokit = createClient(TOKEN, gh.url);
    const { data } = await octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'data', ref: SHA, environment: 'dev', payload: { app: 'other' }, required_contexts: [] });
    const otherId = (data as { id: number }).id;
    await octokit.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'data', deployment_id: otherId, state: 'success', description: 'other tool deployed' });
    gh.seedRunDeployment({ environment: 'dev', sha: SHA, runId: 77 });

    const all = await history(ledger, 'dev');
    expect(all.map((x) => x.id)).toEqual([r.id]);
    expect((await currentDeployment(ledger, 'dev'))!.releaseId).toBe(rid(1));
  });

  it('reads a history of 150 with two list pages and one status listing per deployment', async () => {
    const { gh, ledger } = await setup();
    for (let n = 1; n <= 150; n++) await ledger.start(start('dev', n));
    const before = gh.requests.length;
    const all = await history(ledger, 'dev', 10_000);
    const reqs = gh.requests.slice(before);
    expect(all).toHaveLength(150);
    expect(all[0]!.releaseId).toBe(rid(150));
    expect(all.at(-1)!.releaseId).toBe(rid(1));
    expect(reqs.filter((q) => q.operationId === 'repos/list-deployments')).toHaveLength(2);
    expect(reqs.filter((q) => q.operationId === 'repos/list-deployment-statuses')).toHaveLength(150);
    expect(reqs).toHaveLength(152);
    expect(reqs.every((q) => q.status === 200)).toBe(true);
  }, 60_000);

  it('reports GitHub errors as FERRY_GITHUB_API', async () => {
    const { gh, ledger } = await setup();
    await expect(ledger.finish('999', 'success', 'x')).rejects.toMatchObject({ code: 'FERRY_GITHUB_API' });
    expect(gh.requests).toHaveLength(1); // a 404 is final, not retried
  });
});
