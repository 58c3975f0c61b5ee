import type { Command } from 'commander';
import { formatProblem } from '@ferry/core';
import { verifyEnvironment } from '@ferry/deploy';
import { colors } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerVerify(program: Command, cli: Cli): void {
  program
    .command('verify <env>')
    .description("check that <env>'s targets hold exactly its release's files, and record the result")
    .option('--json', 'print the result as JSON')
    .action(async (envName: string, opts: { json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const r = await verifyEnvironment(ctx, envName);
      if (!r.ok) cli.exitCode = 1;
      if (opts.json) {
        cli.io.out(JSON.stringify(r, null, 2));
        return;
      }
      const c = colors(cli.io);
      const what = `${envName} runs ${r.deployment.version} (${r.deployment.releaseId.slice(0, 12)})`;
      if (r.ok) cli.io.out(`${c.green('✔')} verified: ${what}; every target holds exactly the release's files`);
      else {
        cli.io.out(`${c.red('✘')} verification failed: ${what}`);
        for (const p of r.problems) cli.io.out('    ' + formatProblem(p).replace(/\n/g, '\n    '));
      }
    });
}
