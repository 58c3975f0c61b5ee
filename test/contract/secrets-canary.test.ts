import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, jest } from '@jest/globals';
import { main } from '@ferry/cli';
import { runAction, tempDir, type RunResult } from './run-action.js';
import { exampleWorkspace, useGitHubServer } from './workspace.js';

jest.setTimeout(120_000);
const gh = useGitHubServer();

/**
 * Canary values for every secret the example's configs reference, handed over
 * three ways: the `secrets` input, an environment variable, and a mounted
 * secrets file. After a whole pipeline none of them may appear anywhere but in
 * the config files deployed to the targets.
 */
const CANARY = {
  WAREHOUSE_PASSWORD: 'CANARY-wh-7f3a9c1e',
  APP_DB_PASSWORD: 'CANARY-app-04be6d22',
  ORDERS_API_TOKEN: 'CANARY-orders-9d1f55aa',
  CRM_API_TOKEN: 'CANARY-crm-e2c7b310',
};

/** Every file below `dir` as text, tarballs decompressed, except what `keep` lets through. */
function filesBelow(dir: string, skip: (p: string) => boolean = () => false): [string, string][] {
  if (!fs.existsSync(dir)) return [];
  const out: [string, string][] = [];
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = path.join(e.parentPath, e.name);
    if (skip(p) || !fs.statSync(p).isFile()) continue;
    const bytes = fs.readFileSync(p);
    out.push([p, (p.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('latin1')]);
  }
  return out;
}

function leaks(where: string, text: string): string[] {
  return Object.entries(CANARY).filter(([, v]) => text.includes(v)).map(([k]) => `${k} in ${where}`);
}

describe('secrets never leak (canary values through the committed bundles and the CLI)', () => {
  it('appear only in the deployed config files', async () => {
    const cwd = exampleWorkspace();
    const outside = tempDir('ferry-canary-');
    const secretsFile = path.join(outside, 'mounted.env');
    fs.writeFileSync(secretsFile, `ORDERS_API_TOKEN=${CANARY.ORDERS_API_TOKEN}\nCRM_API_TOKEN="${CANARY.CRM_API_TOKEN}"\n`);
    const inputs = { secrets: JSON.stringify({ WAREHOUSE_PASSWORD: CANARY.WAREHOUSE_PASSWORD }), 'secrets-file': secretsFile };
    const env = { APP_DB_PASSWORD: CANARY.APP_DB_PASSWORD };
    const run = (name: string, extra: Record<string, string> = {}, more: Partial<Parameters<typeof runAction>[1]> = {}) =>
      runAction(name, { cwd, apiUrl: gh().url, env, ...more, inputs: { ...extra } });
    const runs: [string, RunResult][] = [];
    const step = async (label: string, r: Promise<RunResult>) => {
      const res = await r;
      runs.push([label, res]);
      return res;
    };

    const b = await step('build-artifacts', run('build-artifacts', { tag: 'false', 'github-release': 'true' }));
    expect(b.code).toBe(0);
    // A missing secret first: every missing name is listed, nothing is applied, nothing leaks.
    const missing = await step('missing secrets', run('deploy-env', { environment: 'dev', 'release-path': b.outputs['release-path']!, secrets: '{}' }, { env: {} }));
    expect(missing.code).toBe(1);
    for (const name of ['WAREHOUSE_PASSWORD', 'APP_DB_PASSWORD', 'ORDERS_API_TOKEN', 'CRM_API_TOKEN']) expect(missing.stdout).toContain(`secret ${name}`);
    expect(fs.existsSync(path.join(cwd, '.ferry/targets/dev'))).toBe(false);
    expect((await step('deploy dev', run('deploy-env', { environment: 'dev', 'release-path': b.outputs['release-path']!, ...inputs }))).code).toBe(0);
    expect((await step('smoke-test dev', run('smoke-test', { environment: 'dev', ...inputs }))).code).toBe(0);
    expect((await step('deploy staging', run('deploy-env', { environment: 'staging', 'release-id': b.outputs['release-id']!, ...inputs }))).code).toBe(0);
    await step('lint-and-test', run('lint-and-test'));
    const pr = gh().state.issues.length + 1;
    await fetch(`${gh().url}/repos/acme/data/issues`, { method: 'POST', headers: { authorization: 'token test-token', 'content-type': 'application/json' }, body: JSON.stringify({ title: 'pr' }) });
    await step(
      'plan comment',
      run('deploy-env', { environment: 'prod', 'release-path': b.outputs['release-path']!, 'dry-run': 'true', comment: 'true', ...inputs }, { env: { ...env, GITHUB_EVENT_NAME: 'pull_request' }, event: { pull_request: { number: pr } } }),
    );
    // The CLI, reading the same mounted file.
    const cli: string[] = [];
    const io = { out: (s: string) => cli.push(s), err: (s: string) => cli.push(s), isTTY: false, color: false };
    Object.assign(process.env, env, { WAREHOUSE_PASSWORD: CANARY.WAREHOUSE_PASSWORD });
    try {
      expect(await main(['-c', path.join(cwd, 'ferry.yml'), '--secrets-file', secretsFile, '-v', 'deploy', 'dev', '--release', b.outputs['release-id']!], io)).toBe(0);
    } finally {
      delete process.env.WAREHOUSE_PASSWORD;
      delete process.env.APP_DB_PASSWORD;
    }

    const found: string[] = [];
    for (const [label, r] of runs) {
      // `::add-mask::<value>` is how a step tells the runner what to hide; the runner never shows that line.
      const shown = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
      found.push(...leaks(`${label} stdout`, shown), ...leaks(`${label} stderr`, r.stderr), ...leaks(`${label} summary`, r.summary), ...leaks(`${label} outputs`, JSON.stringify(r.outputs)));
      for (const f of Object.values(r.outputs).filter((v) => v.startsWith('/') && fs.existsSync(v))) for (const [p, t] of filesBelow(fs.statSync(f).isDirectory() ? f : path.dirname(f))) found.push(...leaks(p, t));
    }
    found.push(...leaks('CLI output', cli.join('\n')));
    // Everything ferry wrote in the workspace (releases, ledger, plans), except the targets' deployed configs.
    for (const [p, t] of filesBelow(path.join(cwd, '.ferry'), (p) => /\/\.ferry\/targets\//.test(p))) found.push(...leaks(p, t));
    // Everything the GitHub API received: deployments, statuses, releases, assets, comments.
    const state = gh().state;
    found.push(...leaks('GitHub deployments and comments', JSON.stringify({ d: state.deployments, c: state.comments, r: state.releases.map((x) => ({ ...x, assets: [] })) })));
    for (const rel of state.releases) for (const a of rel.assets) found.push(...leaks(`release asset ${a.name}`, (a.name.endsWith('.gz') ? gunzipSync(a.data) : a.data).toString('latin1')));
    expect(found).toEqual([]);

    // Each deploy masked every value it used, before anything else could print it.
    const dev = runs.find(([l]) => l === 'deploy dev')![1];
    for (const v of Object.values(CANARY)) expect(dev.lines.findIndex((l) => l === `::add-mask::${v}`)).toBeGreaterThanOrEqual(0);

    // And the one place they belong.
    const deployed = fs.readFileSync(path.join(cwd, '.ferry/targets/dev/config/pipelines.yml'), 'utf8');
    for (const v of Object.values(CANARY)) expect(deployed).toContain(v);
  });
});
