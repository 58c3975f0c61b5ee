import { fail, type ReleaseManifest, type Runner } from '@ferry/core';
import { git } from './git.js';
import { shortId } from './manifest.js';

export interface TagOptions {
  prefix: string;
  /** Pushes the tag to `remote` when given, authenticating with it (masked). */
  token?: string;
  remote?: string;
}

export function tagName(project: string, version: string, prefix: string): string {
  return `${prefix}${project}/${version}`;
}

/**
 * Creates an annotated tag for the release on its commit (idempotent: an
 * existing tag on the same commit is kept) and pushes it when a token is given.
 */
export async function tagRelease(cwd: string, manifest: ReleaseManifest, opts: TagOptions, runner: Runner): Promise<string> {
  const name = tagName(manifest.project, manifest.version, opts.prefix);
  await git(cwd, ['check-ref-format', `refs/tags/${name}`]).catch(() => fail('FERRY_INPUT', `"${name}" is not a valid tag name`, { hint: 'Use a version and tag prefix without spaces, "..", "~", "^" or ":".' }));
  const existing = await git(cwd, ['rev-parse', '-q', '--verify', `refs/tags/${name}^{commit}`]).catch(() => '');
  if (existing && existing !== manifest.git.commit) {
    fail('FERRY_TAG_EXISTS', `tag ${name} already points at ${existing.slice(0, 7)}, not ${manifest.git.commit.slice(0, 7)}`);
  }
  if (!existing) {
    const message = `ferry release ${manifest.project} ${manifest.version}\n\nrelease-id: ${manifest.id}\ncommit: ${manifest.git.commit}\n`;
    await git(cwd, ['-c', 'user.name=ferry', '-c', 'user.email=ferry@users.noreply.github.com', 'tag', '-a', name, manifest.git.commit, '-m', message]);
    runner.info(`tagged ${manifest.git.commit.slice(0, 7)} as ${name} (release ${shortId(manifest)})`);
  }
  if (opts.token) {
    runner.mask(opts.token);
    const basic = Buffer.from(`x-access-token:${opts.token}`).toString('base64');
    runner.mask(basic);
    // The header goes through the environment, not argv, so other processes cannot read it from `ps`.
    await git(cwd, ['push', opts.remote ?? 'origin', `refs/tags/${name}:refs/tags/${name}`], {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraheader',
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
      GIT_TERMINAL_PROMPT: '0',
    });
    runner.info(`pushed tag ${name} to ${opts.remote ?? 'origin'}`);
  }
  return name;
}
