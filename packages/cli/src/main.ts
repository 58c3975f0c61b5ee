import { Command, CommanderError } from 'commander';
import { formatProblem, toProblems } from '@ferry/core';
import { CliRunner, colors, processIo, type Io } from './cli-runner.js';
import { registerBuild } from './commands/build.js';
import { registerCheck } from './commands/check.js';
import { registerDeploy } from './commands/deploy.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';

export interface Cli {
  io: Io;
  runner: CliRunner;
  exitCode: number;
}

/** Runs the ferry CLI; returns the exit code (0 ok, 1 problems, 2 usage). Never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const runner = new CliRunner(io, process.env.FERRY_DEBUG === '1');
  const cli: Cli = { io, runner, exitCode: 0 };
  const program = new Command('ferry')
    .description('ferry: move Airflow DAGs, dbt models and configs from dev to production, safely')
    .option('-c, --config <path>', 'ferry.yml to use (default: nearest ferry.yml from the current folder up)')
    .option('--ledger <file>', 'ledger file (default: .ferry/ledger.json beside ferry.yml)')
    .option('--secrets-file <path>', 'secrets for ${secret:NAME} references: a folder of files, a JSON/YAML mapping or a dotenv file (environment variables are used too)')
    .option('-v, --verbose', 'print every step')
    .hook('preAction', (cmd) => {
      if (cmd.opts<{ verbose?: boolean }>().verbose) runner.verbose = true;
    })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // Usage errors are reported below, in ferry's own format.
      outputError: () => {},
    });
  registerCheck(program, cli);
  registerBuild(program, cli);
  registerDeploy(program, cli);
  registerVerify(program, cli);
  registerStatus(program, cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (e) {
    const c = colors(io);
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      const command = argv.find((a) => program.commands.some((cmd) => cmd.name() === a));
      const usage = { code: 'FERRY_INPUT' as const, message: e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '), hint: `Run \`ferry ${command ? `${command} ` : ''}--help\` for the usage.` };
      io.err(`${c.red('error')} ${formatProblem(usage)}`);
      return 2;
    }
    for (const p of toProblems(e)) io.err(runner.redact(`${c.red('error')} ${formatProblem(p)}`));
    if (process.env.FERRY_DEBUG === '1' && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}
