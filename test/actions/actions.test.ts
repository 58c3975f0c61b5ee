import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const actions = fs.readdirSync(path.join(root, 'actions')).filter((n) => fs.existsSync(path.join(root, 'actions', n, 'action.yml'))).sort();

interface ActionYml {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

describe('actions', () => {
  it('are the six of the design card', () => {
    expect(actions).toEqual(['build-artifacts', 'deploy-env', 'lint-and-test', 'notify-slack', 'require-approval', 'smoke-test']);
  });

  it.each(actions)('%s: action.yml describes every input and output and runs the committed bundle', (name) => {
    const a = parse(fs.readFileSync(path.join(root, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;
    expect(a.name).toMatch(/^ferry /);
    expect(a.description.length).toBeGreaterThan(20);
    expect(a.branding.icon).toBeTruthy();
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(a.branding.color);
    for (const [k, v] of Object.entries(a.inputs ?? {})) {
      expect([k, v.description?.length > 10]).toEqual([k, true]);
      // Optional inputs state their default, so the runner and docs agree on it.
      if (!v.required) expect([k, typeof v.default]).toEqual([k, 'string']);
    }
    for (const [k, v] of Object.entries(a.outputs ?? {})) expect([k, v.description?.length > 10]).toEqual([k, true]);
    expect(a.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(fs.existsSync(path.join(root, 'actions', name, 'dist/index.js'))).toBe(true);
    // Thin entry points: logic lives in packages/.
    const main = fs.readFileSync(path.join(root, 'actions', name, 'src/main.ts'), 'utf8');
    expect(main.split('\n').length).toBeLessThan(60);
    expect(main).not.toMatch(/from '@actions\/core'/);
  });

  // The runner executes dist/ as committed: a stale bundle ships old code.
  it('committed dist/ bundles equal a fresh build (run `pnpm build` when this fails)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-dist-'));
    execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--only', 'actions', '--out', out], { cwd: root, stdio: 'pipe' });
    const stale: string[] = [];
    for (const name of actions) {
      const committed = path.join(root, 'actions', name, 'dist');
      const files = new Set([...fs.readdirSync(committed), ...fs.readdirSync(path.join(out, name))]);
      for (const f of files) {
        const a = fs.existsSync(path.join(committed, f)) ? fs.readFileSync(path.join(committed, f)) : undefined;
        const b = fs.existsSync(path.join(out, name, f)) ? fs.readFileSync(path.join(out, name, f)) : undefined;
        if (!a || !b || !a.equals(b)) stale.push(`actions/${name}/dist/${f}`);
      }
    }
    expect(stale).toEqual([]);
  }, 600_000);
});
