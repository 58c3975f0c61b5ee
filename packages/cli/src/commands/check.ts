import { FerryError, formatProblem } from '@ferry/core';
import { enabledKinds } from '@ferry/kinds';
import type { Command } from 'commander';
import { colors, type Io } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerCheck(program: Command, cli: Cli): void {
  program
    .command('check')
    .description('validate ferry.yml and every artifact (configs, secrets in clear, DAG folder) without building')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const results = await Promise.all(enabledKinds(ctx.config).map(async (k) => ({ kind: k.name, problems: await k.validate(ctx) })));
      const problems = results.flatMap((r) => r.problems);
      if (opts.json) cli.io.out(JSON.stringify({ ok: problems.length === 0, config: ctx.config.file, kinds: results }, null, 2));
      else report(cli.io, ctx.config.file, results);
      if (problems.length) cli.exitCode = 1;
    });
}

function report(io: Io, file: string, results: { kind: string; problems: FerryError['problems'] }[]): void {
  const c = colors(io);
  io.out(`${c.green('✔')} ${file}`);
  for (const r of results) {
    io.out(`${r.problems.length ? c.red('✘') : c.green('✔')} ${r.kind}${r.problems.length ? `: ${r.problems.length} problem(s)` : ''}`);
    for (const p of r.problems) io.out('    ' + formatProblem(p).replace(/\n/g, '\n    '));
  }
}
