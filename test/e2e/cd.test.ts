/**
 * End to end: workflows-templates/cd.yml, run job by job through the committed action
 * bundles (workflow-runner.ts), against the GitHub test server (ledger = GitHub
 * Deployments), the Slack receiver (bot-token mode: one message, updated), a real
 * PostgreSQL (SQL smoke checks) and an HTTP service reading production's deployed config.
 *
 * 1. A push to main: one deployment per environment, production approved by a reviewer
 *    and verified, the Slack message posted once and updated at each stage.
 * 2. A commit that breaks production's HTTP smoke check (the deployed config changes a
 *    value the service reports): production's smoke test fails, ferry redeploys the last
 *    verified release and verifies it, Slack says rolled back.
 * 3. workflows-templates/rollback.yml on staging: back to the release before the current one.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../github-server/index.js';
import { startSlackServer, type SlackServer } from '../slack-server/index.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { OCI_MANIFEST, pushImage, startRegistry, type PushedImage, type TestRegistry } from '../support/registry.js';
import { OWNER, REPO, ROOT, TOKEN, tempDir, tempDirs } from '../contract/run-action.js';
import { exampleWorkspace, git, SECRETS } from '../contract/workspace.js';
import { runWorkflow, type JobRecord, type RunRecord } from './workflow-runner.js';

jest.setTimeout(240_000);

const CD = path.join(ROOT, 'workflows-templates/cd.yml');
const ROLLBACK = path.join(ROOT, 'workflows-templates/rollback.yml');
const CHANNEL = 'C0FERRYDEP';

let gh: GitHubServer;
let slack: SlackServer;
let pgServer: PostgresServer;
let registry: TestRegistry;
let etl: PushedImage;
let service: http.Server;
let serviceUrl: string;
let repo: string;
let servers: string;

/** A stand-in for a production service that reads the deployed pipeline settings. */
function startService(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, 'prod/config/pipelines.yml');
    if (req.url !== '/settings' || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const pageSize = /page_size: (\d+)/.exec(fs.readFileSync(file, 'utf8'))?.[1];
    // The orders API behind this service answers pages of at most 500 rows (ferry's schema allows up to 1000).
    const healthy = Number(pageSize) <= 500;
    res.writeHead(healthy ? 200 : 500, { 'content-type': 'text/plain' }).end(healthy ? `ok page_size=${pageSize}` : `bad page_size=${pageSize}`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function ferryYml(): string {
  const target = (env: string) => `    targets:
      dags: { kind: local, path: ${servers}/${env}/dags }
      configs: { kind: local, path: ${servers}/${env}/config }${env === 'dev' ? '' : `
      images: { kind: registry, repository: "${registry.host}/acme/${env}/{name}", tag: ${env} }`}`;
  const sql = `      sql:
        connection: "\${secret:WAREHOUSE_URL}"
        checks:
          - { name: orders loaded, query: "select id from orders", rows: { min: 2 } }
          - { name: no negative amounts, assert_empty: "select id from orders where amount < 0" }`;
  return `project: data-platform
artifacts:
  dags: { path: dags }
  configs:
    path: config
    schemas:
      - files: "pipelines*.yml"
        schema: config/schemas/pipelines.schema.json
  dbt: { path: dbt }
  images:
    - { name: etl, image: "${registry.host}/acme/etl:1.4" }
environments:
  - name: dev
${target('dev')}
    smoke:
${sql}
  - name: staging
${target('staging')}
    smoke:
${sql}
  - name: prod
    requires: staging
    production: true
${target('prod')}
    approval: { mode: environment }
    smoke:
${sql}
      http:
        - { name: settings endpoint, url: "${serviceUrl}/settings", status: 200, body: "^ok " }
      auto_rollback: true
`;
}

const SECRETS_ALL = () => ({ ...SECRETS, WAREHOUSE_URL: pgServer.url, SLACK_BOT_TOKEN: slack.token });

async function cd(runId: number, sha: string): Promise<RunRecord> {
  // The production environment's required reviewer approves this run (what GET .../runs/{id}/approvals returns).
  gh.seedRunApprovals(runId, [{ environments: 'prod', state: 'approved', user: 'alice', comment: 'ship it' }]);
  const progress: string[] = [];
  return runWorkflow({
    onJob: (j) => progress.push(`${j.name}: ${j.result}${j.result === 'failure' ? '\n' + explain({ jobs: [j] } as RunRecord) : ''}`),
    workflow: CD,
    repository: repo,
    sha,
    runId,
    apiUrl: gh.url,
    github: gh,
    inputs: { 'slack-channel': CHANNEL, 'slack-api-url': slack.url },
    secrets: SECRETS_ALL(),
    machineEnv: { FERRY_REGISTRY_INSECURE: registry.host },
  }).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\njobs before it:\n${progress.join('\n')}`);
  });
}

/** What went wrong in a run, for failure messages. */
function explain(run: RunRecord): string {
  return run.jobs
    .filter((j) => j.result === 'failure')
    .map((j) => `${j.name}:\n` + j.steps.filter((s) => s.outcome === 'failure').map((s) => `  ${s.name}: ${s.commands.filter((c) => c.command === 'error').map((c) => c.message).join(' | ') || s.stderr.slice(-800)}`).join('\n'))
    .join('\n');
}

const job = (run: RunRecord, id: string): JobRecord => {
  const legs = run.jobs.filter((j) => j.id === id);
  expect(legs).toHaveLength(1);
  return legs[0]!;
};
const step = (j: JobRecord, id: string) => j.steps.find((s) => s.id === id)!;
/** The digest a registry tag points at. */
async function tagged(repository: string, tag: string): Promise<string | null> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: OCI_MANIFEST } });
  return res.status === 200 ? res.headers.get('docker-content-digest') : null;
}
/** The verification ferry last recorded on a deployment (GitHub's own statuses carry no [ferry…] description). */
const verification = (d: { statuses: { state: string; description: string }[] }) => {
  const s = d.statuses.filter((x) => /^\[ferry:(verified|verify-failed)\]/.test(x.description)).at(-1);
  return s && `${/^\[ferry:([a-z-]+)\]/.exec(s.description)![1]}/${s.state}`;
};

beforeAll(async () => {
  servers = tempDir('ferry-e2e-servers-');
  [gh, slack, pgServer, service, registry] = await Promise.all([
    startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN }),
    startSlackServer({ channels: { [CHANNEL]: 'deploys' } }),
    startPostgres(),
    startService(servers),
    startRegistry(),
  ]);
  etl = await pushImage(registry, 'acme/etl', '1.4', { seed: 'etl-1.4' });
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  const client = new pg.Client({ connectionString: pgServer.url });
  await client.connect();
  await client.query('create table orders (id int primary key, amount numeric not null); insert into orders values (1, 10.5), (2, 3)');
  await client.end();
  repo = exampleWorkspace();
  fs.writeFileSync(path.join(repo, 'ferry.yml'), ferryYml());
  git(repo, 'commit', '-q', '-am', 'ferry.yml for the end-to-end test');
}, 120_000);

afterAll(async () => {
  await Promise.all([
    gh?.close(),
    slack?.close(),
    pgServer?.stop(),
    registry?.stop(),
    service && new Promise((r) => service.close(r)),
  ]);
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('cd.yml end to end (committed bundles, GitHub test server, Slack receiver, PostgreSQL)', () => {
  let first: RunRecord | undefined;
  let second: RunRecord | undefined;

  it('a push to main deploys dev → staging → prod (approved, verified) and updates one Slack message', async () => {
    const sha = git(repo, 'rev-parse', 'HEAD');
    const run = await cd(1001, sha);
    expect({ conclusion: run.conclusion, failures: explain(run) }).toEqual({ conclusion: 'success', failures: '' });
    expect(run.order).toEqual(['projects', 'started', 'build', 'dev', 'staging', 'production-plan', 'production']);
    expect(Object.fromEntries(Object.entries(run.results).map(([k, v]) => [k, v.result]))).toEqual({
      projects: 'success', started: 'success', build: 'success', dev: 'success', staging: 'success', 'production-plan': 'success', production: 'success',
    });
    first = run;

    // One deployment per environment, each for this commit; dev and staging and prod verified.
    const deployments = gh.state.deployments;
    expect(deployments.map((d) => d.environment).sort()).toEqual(['dev', 'prod', 'staging']);
    for (const d of deployments) {
      expect(d.sha).toBe(sha);
      expect(verification(d)).toBe('verified/success');
      // GitHub's status at the end of the job comes last, as on GitHub.
      expect(d.statuses.at(-1)).toMatchObject({ state: 'success', description: '', creator: { login: 'github-actions[bot]' } });
    }
    // The deployment the job's environment: created is the one ferry recorded in (reuse-run-deployment).
    const prodJob = job(run, 'production');
    expect(prodJob.environment).toMatchObject({ name: 'prod' });
    expect(deployments.find((d) => d.environment === 'prod')!.id).toBe(prodJob.environment!.deploymentId);
    expect(step(prodJob, 'deploy').outputs['deployment-id']).toBe(String(prodJob.environment!.deploymentId));

    // Images: the pinned digest promoted to staging's and prod's repositories (dev has no registry).
    expect(await tagged('acme/staging/etl', 'staging')).toBe(etl.digest);
    expect(await tagged('acme/prod/etl', 'prod')).toBe(etl.digest);

    // Approval: the reviewer's approval of this run is what let production through, and it is in the ledger.
    expect(step(prodJob, 'approval').outputs).toMatchObject({ approved: 'true', status: 'approved', approvers: 'alice' });
    const prodDeployment = deployments.find((d) => d.environment === 'prod')!;
    // A reused run deployment keeps GitHub's payload; ferry records the approval as a status on it.
    const releaseId = step(prodJob, 'deploy').outputs['release-id']!;
    expect(prodDeployment.statuses.map((s) => s.description)).toContain(`[ferry:approval] environment prod ${releaseId.slice(0, 12)} alice`);
    expect(step(prodJob, 'smoke').outputs).toMatchObject({ verified: 'true', status: 'verified', 'rolled-back': 'false' });

    // Concurrency: one group per environment (and project); never cancelled in progress.
    const groups = ['dev', 'staging', 'production'].map((id) => job(run, id).concurrency!);
    expect(new Set(groups.map((g) => g.group)).size).toBe(3);
    expect(groups.every((g) => !g.cancelInProgress)).toBe(true);

    // Slack: one message in the channel, posted by `started`, updated by every later stage.
    expect(slack.messages).toHaveLength(1);
    const message = slack.messages[0]!;
    expect(message.channel).toBe(CHANNEL);
    expect(run.outputs['slack-ts']).toBe(message.ts);
    const versions = [...message.history, { text: message.text, blocks: message.blocks }].map((v) => v.text ?? '');
    // started, dev verified, staging verified, awaiting approval, succeeded: in that order, each an update of the one message.
    const version = run.outputs.version!;
    expect(version).toMatch(/^\d{4}\.\d{2}\.\d{2}-[0-9a-f]{7}$/);
    expect(versions).toEqual([
      expect.stringMatching(/Deploy started/),
      expect.stringMatching(new RegExp(`Deploying ${version} to dev$`)),
      expect.stringMatching(new RegExp(`Deploying ${version} to staging$`)),
      expect.stringMatching(new RegExp(`Waiting for approval to deploy ${version} to prod$`)),
      expect.stringMatching(new RegExp(`Deployed ${version} to prod$`)),
    ]);
    expect(slack.requests.filter((r) => r.endpoint === 'chat.postMessage')).toHaveLength(1);
    expect(slack.requests.filter((r) => r.endpoint === 'chat.update')).toHaveLength(4);
    expect(slack.violations).toEqual([]);
    // Secrets: nowhere but in the runner's ::add-mask:: commands (Slack, outputs, logs, summaries).
    const logs = (text: string) => text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    const everything = JSON.stringify([slack.messages, run.jobs.map((j) => [j.outputs, j.summary, j.steps.map((x) => [x.outputs, logs(x.stdout), logs(x.stderr), x.summary])])]);
    for (const secret of Object.values(SECRETS_ALL())) expect(everything).not.toContain(secret);
    expectNoViolations(gh);
  });

  it('a commit that breaks production\'s smoke check: prod fails, rolls back to the last verified release, Slack says so', async () => {
    expect(first).toBeDefined(); // needs the first run's verified releases
    const previousProd = job(first!, 'production');
    const goodRelease = step(previousProd, 'deploy').outputs['release-id'];
    const before = gh.state.deployments.length;
    const messagesBefore = slack.messages.length;

    const pipelines = path.join(repo, 'config/pipelines.yml');
    fs.writeFileSync(pipelines, fs.readFileSync(pipelines, 'utf8').replace('page_size: 500', 'page_size: 750'));
    git(repo, 'commit', '-q', '-am', 'orders_api: larger pages');
    // The etl image is rebuilt under the same tag: this release pins the new digest.
    const rebuilt = await pushImage(registry, 'acme/etl', '1.4', { seed: 'etl-1.4-rebuilt' });
    expect(rebuilt.digest).not.toBe(etl.digest);
    const sha = git(repo, 'rev-parse', 'HEAD');
    const run = await cd(1002, sha);
    second = run;

    // dev and staging take it (their checks do not read the setting); production's smoke test fails and rolls back.
    expect({ results: Object.fromEntries(Object.entries(run.results).map(([k, v]) => [k, v.result])), failures: explain(run) }).toMatchObject({
      results: { build: 'success', dev: 'success', staging: 'success', 'production-plan': 'success', production: 'failure' },
      failures: expect.stringMatching(/^prod \(\.\):/),
    });
    expect(run.conclusion).toBe('failure');
    const prodJob = job(run, 'production');
    const smoke = step(prodJob, 'smoke');
    expect(smoke.outputs).toMatchObject({ verified: 'false', status: 'rolled-back', 'rolled-back': 'true', 'rollback-release-id': goodRelease, 'rollback-version': step(previousProd, 'deploy').outputs.version });
    expect(smoke.commands.some((c) => c.command === 'error' && /settings endpoint/.test(c.message))).toBe(true);

    // Production serves the previous release again: its config, and its image digest; staging keeps the new one.
    expect(await tagged('acme/prod/etl', 'prod')).toBe(etl.digest);
    expect(await tagged('acme/staging/etl', 'staging')).toBe(rebuilt.digest);
    const served = await fetch(`${serviceUrl}/settings`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe('ok page_size=500');

    // Ledger: this run's prod deployment failed verification; the rollback deployment is verified and is the good release.
    const fresh = gh.state.deployments.slice(before);
    const prod = fresh.filter((d) => d.environment === 'prod');
    expect(prod.length).toBe(2);
    const [failed, rollback] = prod as [(typeof prod)[0], (typeof prod)[0]];
    expect(failed.sha).toBe(sha);
    const badRelease = step(prodJob, 'deploy').outputs['release-id']!;
    expect(verification(failed)).toBe('verify-failed/failure');
    expect(failed.statuses.at(-1)).toMatchObject({ state: 'failure', description: '' }); // GitHub: the job failed
    expect(failed.statuses.map((x) => x.description)).toContain(`[ferry:approval] environment prod ${badRelease.slice(0, 12)} alice`);
    expect(verification(rollback)).toBe('verified/success');
    expect(rollback.payload).toMatchObject({ ferry: { releaseId: goodRelease, rollbackOf: badRelease } });
    expect(fresh.filter((d) => d.environment !== 'prod').map((d) => `${d.environment} ${verification(d)}`).sort()).toEqual(['dev verified/success', 'staging verified/success']);

    // Slack: this run's message ends saying production was rolled back.
    expect(slack.messages).toHaveLength(messagesBefore + 1);
    const message = slack.messages.at(-1)!;
    const version = run.outputs.version!;
    expect([...message.history.map((h) => h.text), message.text]).toEqual([
      expect.stringMatching(/Deploy started/),
      expect.stringMatching(new RegExp(`Deploying ${version} to dev$`)),
      expect.stringMatching(new RegExp(`Deploying ${version} to staging$`)),
      expect.stringMatching(new RegExp(`Waiting for approval to deploy ${version} to prod$`)),
      expect.stringMatching(new RegExp(`Rolled back prod to ${step(previousProd, 'deploy').outputs.version}$`)),
    ]);
    expect(slack.violations).toEqual([]);
    expectNoViolations(gh);
  });
  it('rollback.yml returns staging to the release before the current one, verified, and says so in Slack', async () => {
    expect(first && second).toBeTruthy(); // staging runs the second run's release; the first run's came before it
    const goodRelease = step(job(first!, 'staging'), 'deploy').outputs['release-id']!;
    const badRelease = step(job(second!, 'staging'), 'deploy').outputs['release-id']!;
    expect(badRelease).not.toBe(goodRelease);
    const before = gh.state.deployments.length;
    const messagesBefore = slack.messages.length;

    const run = await runWorkflow({
      workflow: ROLLBACK,
      repository: repo,
      runId: 1003,
      apiUrl: gh.url,
      github: gh,
      eventName: 'workflow_dispatch',
      inputs: { environment: 'staging', 'slack-channel': CHANNEL, 'slack-api-url': slack.url },
      secrets: SECRETS_ALL(),
      machineEnv: { FERRY_REGISTRY_INSECURE: registry.host },
    });
    expect({ conclusion: run.conclusion, failures: explain(run) }).toEqual({ conclusion: 'success', failures: '' });
    expect(run.outputs).toMatchObject({ status: 'deployed', 'release-id': goodRelease, 'previous-release-id': badRelease, verified: 'true' });
    expect(job(run, 'rollback').concurrency?.group).toBe(job(first!, 'staging').concurrency?.group); // queues behind cd.yml's staging deploys

    // Staging's image tag points at the first release's digest again.
    expect(await tagged('acme/staging/etl', 'staging')).toBe(etl.digest);
    expect(fs.readFileSync(path.join(servers, 'staging/config/pipelines.yml'), 'utf8')).toMatch(/page_size: 500\b/);

    // Ledger: one new deployment (the job's own, reused), a rollback of the bad release, verified.
    const fresh = gh.state.deployments.slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.id).toBe(job(run, 'rollback').environment!.deploymentId);
    expect(String(fresh[0]!.id)).toBe(run.outputs['deployment-id']);
    expect(verification(fresh[0]!)).toBe('verified/success');

    // Slack: a message of its own, started then rolled back.
    expect(slack.messages).toHaveLength(messagesBefore + 1);
    const message = slack.messages.at(-1)!;
    expect([...message.history.map((h) => h.text), message.text]).toEqual([expect.stringMatching(/started/i), expect.stringMatching(/Rolled back staging/)]);
    expect(slack.violations).toEqual([]);
    expectNoViolations(gh);
  });
});
