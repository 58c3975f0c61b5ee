/**
 * End to end: workflows-templates/ci.yml on a pull request, job by job through the
 * committed action bundles, against the GitHub test server. The repository holds
 * two ferry projects (the example at the root and a small one in teams/ml), so every
 * job runs once per project (the matrix from the ferry.yml files found). Each project
 * gets one plan comment on the pull request, updated (not added) on the next push;
 * a DAG syntax error in one project fails its lint leg only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../github-server/index.js';
import { OWNER, REPO, ROOT, TOKEN, tempDirs } from '../contract/run-action.js';
import { exampleWorkspace, git } from '../contract/workspace.js';
import { runWorkflow, type RunRecord } from './workflow-runner.js';

jest.setTimeout(240_000);

const CI = path.join(ROOT, 'workflows-templates/ci.yml');
const ML_FERRY_YML = `project: ml
artifacts:
  dags: { path: dags }
environments:
  - name: dev
    targets: { dags: { kind: local, path: .ferry/targets/dev/dags } }
  - name: prod
    requires: dev
    targets: { dags: { kind: local, path: .ferry/targets/prod/dags } }
`;
const ML_DAG = `from datetime import datetime
from airflow import DAG

with DAG("ml_features", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False, tags=["ml"], default_args={"owner": "ml", "retries": 2}) as dag:
    pass
`;

let gh: GitHubServer;
let repo: string;
const PR = 1;

beforeAll(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
  repo = exampleWorkspace();
  fs.mkdirSync(path.join(repo, 'teams/ml/dags'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'teams/ml/ferry.yml'), ML_FERRY_YML);
  fs.writeFileSync(path.join(repo, 'teams/ml/dags/features.py'), ML_DAG);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'a second ferry project');
  // The pull request (an issue number on GitHub) the plan comments go to.
  const res = await fetch(`${gh.url}/repos/${OWNER}/${REPO}/issues`, { method: 'POST', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'feature' }) });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await gh.close();
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function ci(runId: number): Promise<RunRecord> {
  return runWorkflow({
    workflow: CI,
    repository: repo,
    runId,
    apiUrl: gh.url,
    eventName: 'pull_request',
    ref: `refs/pull/${PR}/merge`,
    event: { action: 'synchronize', number: PR, pull_request: { number: PR, head: { sha: git(repo, 'rev-parse', 'HEAD') } } },
    inputs: { 'production-environment': 'prod' },
    secrets: {},
  });
}

const legs = (run: RunRecord, job: string) =>
  run.jobs
    .filter((j) => j.id === job)
    .map((j) => `${j.matrix?.project ?? ''}:${j.result}`)
    .sort();

describe('ci.yml on a pull request (two ferry projects)', () => {
  it('lints, builds and plans production once per project; one plan comment per project, updated on the next push', async () => {
    const first = await ci(2001);
    expect(legs(first, 'projects')).toEqual([':success']);
    expect(first.outputs.projects).toBe('[".","teams/ml"]');
    expect(legs(first, 'lint-and-test')).toEqual(['.:success', 'teams/ml:success']);
    expect(legs(first, 'build')).toEqual(['.:success', 'teams/ml:success']);
    expect(legs(first, 'plan')).toEqual(['.:success', 'teams/ml:success']);
    const comments = () => gh.state.comments.filter((c) => c.issueNumber === PR);
    expect(comments()).toHaveLength(2);
    expect(comments().map((c) => /### ferry plan: (\S+) → prod/.exec(c.body)?.[1]).sort()).toEqual(['data-platform', 'ml']);
    const ids = comments().map((c) => c.id);

    // The next push breaks the ml DAG (a syntax error): its lint leg fails, the other's passes, the plans are updated in place.
    fs.writeFileSync(path.join(repo, 'teams/ml/dags/features.py'), ML_DAG.replace('    pass\n', '    pass(\n'));
    git(repo, 'commit', '-qam', 'features: a typo');
    const second = await ci(2002);
    expect(legs(second, 'lint-and-test')).toEqual(['.:success', 'teams/ml:failure']);
    expect(legs(second, 'plan')).toEqual(['.:success', 'teams/ml:success']);
    const ml = second.jobs.find((j) => j.id === 'lint-and-test' && j.matrix?.project === 'teams/ml')!;
    expect(ml.steps.find((s) => s.id === 'lint')!.commands.some((c) => c.command === 'error' && c.properties.file === 'teams/ml/dags/features.py' && /DAG001/.test(c.properties.title ?? ''))).toBe(true);
    expect(comments().map((c) => c.id)).toEqual(ids);
    expect(comments().find((c) => c.body.includes('ferry plan: ml'))!.body).toContain('features.py');
    expect(gh.state.deployments).toEqual([]); // a plan deploys nothing
    expectNoViolations(gh);
  });
});
