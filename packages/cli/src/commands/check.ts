import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CHECK_IDS, fails, reportJunit, reportText, runChecks, type FailOn } from '@ferry/checks';
import { closest, fail } from '@ferry/core';
import { colors } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerCheck(program: Command, cli: Cli): void {
  program
    .command('check')
    .description('lint and test: DAG integrity, configs, dbt contracts and the tools configured under checks: in ferry.yml')
    .option('--only <checks>', `comma-separated checks to run (${CHECK_IDS.join(', ')})`)
    .option('--fail-on <level>', 'exit 1 on findings of this severity or worse: error, warning or never (default: checks.fail_on, else error)')
    .option('--junit <file>', 'also write every finding as JUnit XML')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { only?: string; failOn?: string; junit?: string; json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
      for (const id of only ?? []) {
        if (!CHECK_IDS.includes(id)) {
          const guess = closest(id, CHECK_IDS);
          fail('FERRY_INPUT', `unknown check "${id}"${guess ? `; did you mean "${guess}"?` : ''}`, { hint: `Checks: ${CHECK_IDS.join(', ')}.` });
        }
      }
      const failOn = (opts.failOn ?? ctx.config.checks.fail_on) as FailOn;
      if (!['error', 'warning', 'never'].includes(failOn)) fail('FERRY_INPUT', `--fail-on must be error, warning or never, got "${failOn}"`);
      const report = await runChecks(ctx.config, cli.runner, { only });
      if (opts.junit) {
        fs.mkdirSync(path.dirname(path.resolve(opts.junit)), { recursive: true });
        fs.writeFileSync(opts.junit, reportJunit(report));
      }
      cli.io.out(opts.json ? JSON.stringify(report, null, 2) : reportText(report, colors(cli.io)));
      if (fails(report, failOn)) cli.exitCode = 1;
    });
}
