import type { Command } from 'commander';
import { smokeTest, smokeText } from '@ferry/smoke';
import { colors } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerVerify(program: Command, cli: Cli): void {
  program
    .command('verify <env>')
    .description("run <env>'s smoke checks from ferry.yml (files, Airflow, SQL, HTTP, commands, watch window) and record verified or failed on its deployment")
    .option('--no-watch', 'skip the watch window (smoke.watch)')
    .option('--auto-rollback', 'on failure, roll back to the last verified release and verify it (default: smoke.auto_rollback)')
    .option('--json', 'print the report as JSON')
    .action(async (envName: string, opts: { watch: boolean; autoRollback?: boolean; json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const r = await smokeTest(ctx, envName, { watch: opts.watch === false ? false : undefined, autoRollback: opts.autoRollback ? true : undefined });
      if (!r.ok) cli.exitCode = 1;
      if (opts.json) {
        cli.io.out(JSON.stringify(r, null, 2));
        return;
      }
      const c = colors(cli.io);
      const [head, ...rest] = smokeText(r);
      cli.io.out(`${r.ok ? c.green('✔') : c.red('✘')} ${head}`);
      for (const line of rest) cli.io.out(line);
    });
}
