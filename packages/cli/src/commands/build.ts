import type { Command } from 'commander';
import { buildRelease, shortId, tagRelease } from '@ferry/release';
import { colors } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerBuild(program: Command, cli: Cli): void {
  program
    .command('build')
    .description('build an immutable, content-addressed release into the release store')
    .option('--version <version>', 'release version (default: <commit date>-<short sha>)')
    .option('--tag', 'create an annotated git tag for the release')
    .option('--push <remote>', 'push the tag to this remote (token from GITHUB_TOKEN when set)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { version?: string; tag?: boolean; push?: string; json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const r = await buildRelease(ctx, { version: opts.version });
      const tag = opts.tag || opts.push ? await tagRelease(ctx.config.root, r.manifest, { prefix: ctx.config.release.tagPrefix, remote: opts.push, token: opts.push ? process.env.GITHUB_TOKEN : undefined }, cli.runner) : undefined;
      const m = r.manifest;
      if (opts.json) {
        cli.io.out(JSON.stringify({ id: m.id, version: m.version, path: r.dir, created: r.created, tag, artifacts: m.artifacts.map((a) => ({ kind: a.kind, files: a.files.length, bundle: a.bundle })) }, null, 2));
        return;
      }
      const c = colors(cli.io);
      cli.io.out(`${c.green('✔')} release ${c.bold(shortId(m))} ${c.dim(m.id)}`);
      cli.io.out(`  version  ${m.version}${r.created ? '' : c.dim('  (already built: same content)')}`);
      cli.io.out(`  commit   ${m.git.commit.slice(0, 12)}${m.git.dirty ? c.yellow(' + uncommitted changes') : ''}`);
      for (const a of m.artifacts) cli.io.out(`  ${a.kind.padEnd(8)} ${a.files.length} files${a.bundle ? `, ${a.bundle.path} ${a.bundle.size} bytes` : ''}`);
      cli.io.out(`  path     ${r.dir}`);
      if (tag) cli.io.out(`  tag      ${tag}`);
    });
}
