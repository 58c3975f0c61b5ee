import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commitAll, gitRepo, writeFiles } from '../../../../test/support/git-repo.js';
import type { Io } from '../cli-runner.js';
import { main } from '../main.js';

async function ferry(dir: string, ...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Io = { out: (s) => stdout.push(s), err: (s) => stderr.push(s), isTTY: false, color: false };
  const code = await main(['-c', path.join(dir, 'ferry.yml'), ...argv], io);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

/** The "app" is healthy unless the live DAG folder holds a file marked broken. */
const CHECK = `process.exit(require('fs').readFileSync('live/staging/dags/etl.py', 'utf8').includes('broken') ? 1 : 0)`;

describe('ferry verify', () => {
  it('runs the smoke checks, records the verdict, skips the watch window with --no-watch, and rolls back with --auto-rollback', async () => {
    const smoke = { files: true, command: [{ name: 'app', run: [process.execPath, '-e', CHECK] }], watch: { for: '200ms', every: '100ms', checks: ['command'] } };
    const dir = gitRepo(
      {
        'ferry.yml': `project: demo\nartifacts:\n  dags: { path: dags }\nenvironments:\n  - name: staging\n    smoke: ${JSON.stringify(smoke)}\n    targets:\n      dags: { kind: local, path: live/staging/dags }\n`,
        '.gitignore': 'live/\n.ferry/\n',
        'dags/etl.py': 'X = 1\n',
      },
      { prefix: 'ferry-cli-verify-' },
    );
    expect((await ferry(dir, 'deploy', 'staging')).code).toBe(0);
    const ok = await ferry(dir, 'verify', 'staging');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^✔ verified: staging runs \S+ \([0-9a-f]{12}\), deployment 1$/m);
    expect(ok.out).toMatch(/✔ command: app — .* exited with 0/);
    expect(ok.out).toMatch(/watch window: 2 round\(s\) of command over 200ms passed/);

    writeFiles(dir, { 'dags/etl.py': 'X = 2  # broken\n' });
    commitAll(dir, 'break it');
    expect((await ferry(dir, 'deploy', 'staging')).code).toBe(0);
    const json = await ferry(dir, 'verify', 'staging', '--no-watch', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ format: 'ferry.smoke/v1', status: 'failed', rollbackRecommended: true, deployment: { id: '2' } });
    expect(report.notes).toContain('watch window skipped (watch: false)');

    const rb = await ferry(dir, 'verify', 'staging', '--no-watch', '--auto-rollback');
    expect(rb.code).toBe(1);
    expect(rb.out).toMatch(/^✘ rolled-back: staging runs/m);
    expect(rb.out).toMatch(/rolled back to \S+ \([0-9a-f]{12}\), deployment 3:\n\s+verified: staging/);
    expect(fs.readFileSync(path.join(dir, 'live/staging/dags/etl.py'), 'utf8')).toBe('X = 1\n');
    const hist = JSON.parse((await ferry(dir, 'history', 'staging', '--json')).out);
    expect(hist.map((h: { id: string; verification: string | null }) => [h.id, h.verification])).toEqual([
      ['3', 'verified'],
      ['2', 'failed'],
      ['1', 'verified'],
    ]);
  });
});
