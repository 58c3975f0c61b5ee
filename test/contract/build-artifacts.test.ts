import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { runAction, tempDir, TOKEN, type RunOptions } from './run-action.js';
import { exampleWorkspace, git, useGitHubServer } from './workspace.js';

jest.setTimeout(60_000);
const gh = useGitHubServer();
const build = (cwd: string, inputs: RunOptions['inputs'] = {}) => runAction('build-artifacts', { cwd, apiUrl: gh().url, inputs });

describe('build-artifacts (committed bundle)', () => {
  it('builds one content-addressed release, and the same content again gives the same id', async () => {
    const cwd = exampleWorkspace();
    const head = git(cwd, 'rev-parse', 'HEAD');
    const first = await build(cwd);
    expect(first.code).toBe(0);
    const { 'release-id': id, 'release-path': dir, version, created, tag } = first.outputs;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(created).toBe('true');
    expect(tag).toBe('');
    expect(version).toMatch(new RegExp(`^\\d{4}\\.\\d{2}\\.\\d{2}-${head.slice(0, 7)}$`));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir!, 'release.json'), 'utf8'));
    expect(manifest).toMatchObject({ id, version, project: 'data-platform', git: { commit: head, ref: 'refs/heads/main', dirty: false } });
    expect(manifest.artifacts.map((a: { kind: string }) => a.kind).sort()).toEqual(['configs', 'dags', 'dbt']);
    expect(first.summary).toContain(`### ferry release data-platform ${version}`);
    expect(first.summary).toContain(id);
    expect(first.commands.filter((c) => c.command === 'error' || c.command === 'warning')).toEqual([]);

    const again = await build(cwd);
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ 'release-id': id, 'release-path': dir, created: 'false' });
    expect(again.summary).toContain('already built: same content');
    expect(gh().requests).toEqual([]); // neither tag nor github-release: no API calls
  });

  it('tag: true creates an annotated tag and pushes it to origin', async () => {
    const cwd = exampleWorkspace();
    const origin = path.join(tempDir('ferry-origin-'), 'data.git');
    git(path.dirname(origin), 'init', '-q', '--bare', origin);
    git(cwd, 'remote', 'add', 'origin', origin);
    const head = git(cwd, 'rev-parse', 'HEAD');

    const r = await build(cwd, { tag: 'true' });
    expect(r.code).toBe(0);
    const tag = r.outputs.tag!;
    expect(tag).toBe(`ferry/data-platform/${r.outputs.version}`);
    expect(git(cwd, 'cat-file', '-t', `refs/tags/${tag}`)).toBe('tag');
    expect(git(cwd, 'cat-file', '-p', `refs/tags/${tag}`)).toContain(`release-id: ${r.outputs['release-id']}`);
    expect(git(origin, 'rev-parse', `refs/tags/${tag}^{commit}`)).toBe(head);
    expect(git(origin, 'cat-file', '-t', `refs/tags/${tag}`)).toBe('tag');
    expect(r.summary).toContain(`tag: \`${tag}\``);
    // The token is masked before git (or anything else) could print it.
    const maskAt = r.commands.find((c) => c.command === 'add-mask' && c.message === TOKEN)!.line;
    expect(r.lines.findIndex((l) => l.includes(TOKEN))).toBe(maskAt);
  });

  it('github-release: true stores release.json and every bundle as assets of a GitHub release', async () => {
    const cwd = exampleWorkspace();
    const r = await build(cwd, { 'github-release': 'true' });
    expect(r.code).toBe(0);
    const dir = r.outputs['release-path']!;
    const { state } = gh();
    expect(state.releases).toHaveLength(1);
    const rel = state.releases[0]!;
    expect(rel).toMatchObject({ tagName: `ferry/data-platform/${r.outputs.version}`, targetCommitish: git(cwd, 'rev-parse', 'HEAD'), draft: false });
    expect(rel.body).toContain(r.outputs['release-id']);
    expect(rel.assets.map((a) => a.name).sort()).toEqual(['configs.tar.gz', 'dags.tar.gz', 'dbt.tar.gz', 'release.json']);
    for (const a of rel.assets) expect(a.data.equals(fs.readFileSync(path.join(dir, a.name)))).toBe(true);

    // Building and storing again adds nothing.
    const again = await build(cwd, { 'github-release': 'true' });
    expect(again.code).toBe(0);
    expect(again.outputs.created).toBe('false');
    expect(state.releases).toHaveLength(1);
    expect(state.releases[0]!.assets).toHaveLength(4);
  });
});
