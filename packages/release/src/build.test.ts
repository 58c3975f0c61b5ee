import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commitAll, git, gitRepo } from '../../../test/support/git-repo.js';
import { loadConfig, MemoryRunner, type KindContext } from '@ferry/core';
import { buildRelease } from './build.js';
import { releaseId } from './manifest.js';
import { LocalReleaseStore, openRelease } from './store.js';
import { tagRelease } from './tag.js';

function repo(files: Record<string, string> = {}): { dir: string; ctx: KindContext } {
  const dir = gitRepo({
    'ferry.yml': 'project: demo\nartifacts:\n  dags: { path: dags }\n  configs: { path: config }\n',
    '.gitignore': '.ferry/\n',
    'dags/a.py': 'A = 1\n',
    'dags/sub/b.py': 'B = 1\n',
    'dags/.airflowignore': 'sub/helpers\n',
    'dags/__pycache__/a.cpython-311.pyc': 'junk',
    'config/app.yml': 'x: 1\n',
    ...files,
  }, { prefix: 'ferry-build-' });
  return { dir, ctx: { config: loadConfig(path.join(dir, 'ferry.yml')), runner: new MemoryRunner(), secret: () => undefined } };
}

describe('buildRelease', () => {
  it('lists every shipped file with sha256 and size, the commit, ref and a version', async () => {
    const { dir, ctx } = repo();
    const r = await buildRelease(ctx);
    const m = r.manifest;
    expect(m.id).toMatch(/^[0-9a-f]{64}$/);
    expect(m.git.commit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(m.git.dirty).toBe(false);
    expect(m.version).toMatch(/^\d{4}\.\d{2}\.\d{2}-[0-9a-f]{7}$/);
    const dags = m.artifacts.find((a) => a.kind === 'dags')!;
    expect(dags.files.map((f) => f.path)).toEqual(['.airflowignore', 'a.py', 'sub/b.py']);
    expect(dags.files[1]).toEqual({ path: 'a.py', sha256: createHash('sha256').update('A = 1\n').digest('hex'), size: 6 });
    expect(fs.existsSync(path.join(r.dir, 'dags.tar.gz'))).toBe(true);
    expect(r.dir).toBe(path.join(dir, '.ferry/releases', m.id));
    expect((await openRelease(r.dir)).manifest.id).toBe(m.id);
  });

  it('gives the same id for the same content, whatever commit, clone or time built it', async () => {
    const one = repo();
    const a = await buildRelease(one.ctx);
    const again = await buildRelease(one.ctx);
    expect(again.manifest.id).toBe(a.manifest.id);
    expect(again.created).toBe(false);

    const two = repo();
    fs.writeFileSync(path.join(two.dir, 'README.md'), 'unrelated file, new commit\n');
    commitAll(two.dir, 'docs');
    const b = await buildRelease(two.ctx);
    expect(b.manifest.id).toBe(a.manifest.id);
    expect(fs.readFileSync(path.join(b.dir, 'dags.tar.gz'))).toEqual(fs.readFileSync(path.join(a.dir, 'dags.tar.gz')));
  });

  it('gives another id for any change to a shipped file', async () => {
    const { dir, ctx } = repo();
    const a = await buildRelease(ctx);
    fs.writeFileSync(path.join(dir, 'dags/sub/b.py'), 'B = 2\n');
    const b = await buildRelease(ctx);
    expect(b.manifest.id).not.toBe(a.manifest.id);
    expect(b.manifest.git.dirty).toBe(true);
    expect((ctx.runner as MemoryRunner).logs.some((l) => l.level === 'warning' && /uncommitted/.test(l.message))).toBe(true);
    expect(new LocalReleaseStore(ctx.config.release.store).ids().sort()).toEqual([a.manifest.id, b.manifest.id].sort());
  });

  it('detects a release changed after the build', async () => {
    const { ctx } = repo();
    const r = await buildRelease(ctx);
    const bundle = path.join(r.dir, 'dags.tar.gz');
    const bytes = fs.readFileSync(bundle);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
    fs.writeFileSync(bundle, bytes);
    await expect(openRelease(r.dir)).rejects.toMatchObject({ code: 'FERRY_RELEASE_TAMPERED' });

    const other = await buildRelease(repo({ 'dags/a.py': 'A = 9\n' }).ctx);
    const manifest = JSON.parse(fs.readFileSync(path.join(other.dir, 'release.json'), 'utf8'));
    manifest.artifacts[1].files[0].size += 1;
    fs.writeFileSync(path.join(other.dir, 'release.json'), JSON.stringify(manifest));
    await expect(openRelease(other.dir)).rejects.toThrow(/content hashes to/);

    // A release whose id was recomputed around a path that leaves the target is still refused.
    const escape = await buildRelease(repo({ 'dags/a.py': 'A = 10\n' }).ctx);
    const m = JSON.parse(fs.readFileSync(path.join(escape.dir, 'release.json'), 'utf8'));
    m.artifacts[1].files[0].path = '../../etc/cron.d/x';
    m.id = releaseId(m.project, m.artifacts);
    fs.writeFileSync(path.join(escape.dir, 'release.json'), JSON.stringify(m));
    await expect(openRelease(escape.dir)).rejects.toThrow(/unsafe paths: "..\/..\/etc\/cron.d\/x"/);
  });

  it('finds releases by unique id prefix', async () => {
    const { ctx } = repo();
    const r = await buildRelease(ctx);
    const store = new LocalReleaseStore(ctx.config.release.store);
    expect((await store.get({ id: r.manifest.id.slice(0, 8) })).manifest.id).toBe(r.manifest.id);
    await expect(store.get({ id: 'ffffffff' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
    await expect(store.get({ id: 'not-hex' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
  });

  it('tags the release commit once, refuses a tag on another commit, and pushes with a token', async () => {
    const { dir, ctx } = repo();
    const remote = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-remote-'));
    git(remote, 'init', '-q', '--bare');
    git(dir, 'remote', 'add', 'origin', remote);
    const r = await buildRelease(ctx, { version: '1.0.0' });
    const runner = new MemoryRunner();
    const tag = await tagRelease(dir, r.manifest, { prefix: 'ferry/', token: 'tok-123' }, runner);
    expect(tag).toBe('ferry/demo/1.0.0');
    expect(git(dir, 'cat-file', '-t', tag)).toBe('tag');
    expect(git(dir, 'tag', '-l', '--format=%(contents)', tag)).toContain(`release-id: ${r.manifest.id}`);
    expect(git(remote, 'rev-parse', `${tag}^{commit}`)).toBe(r.manifest.git.commit);
    expect(runner.masked).toContain('tok-123');
    expect(runner.everything()).not.toContain('tok-123');
    await tagRelease(dir, r.manifest, { prefix: 'ferry/' }, runner);

    fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
    commitAll(dir, 'next');
    const moved = { ...r.manifest, git: { ...r.manifest.git, commit: git(dir, 'rev-parse', 'HEAD') } };
    await expect(tagRelease(dir, moved, { prefix: 'ferry/' }, runner)).rejects.toMatchObject({ code: 'FERRY_TAG_EXISTS' });
  });

  it('refuses to build outside git', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nogit-'));
    fs.mkdirSync(path.join(dir, 'dags'));
    fs.writeFileSync(path.join(dir, 'dags/a.py'), '');
    fs.writeFileSync(path.join(dir, 'ferry.yml'), 'project: demo\nartifacts:\n  dags: { path: dags }\n');
    const ctx = { config: loadConfig(path.join(dir, 'ferry.yml')), runner: new MemoryRunner(), secret: () => undefined };
    await expect(buildRelease(ctx)).rejects.toMatchObject({ code: 'FERRY_GIT' });
  });
});
