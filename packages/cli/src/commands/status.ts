import type { Command } from 'commander';
import type { DeploymentRecord } from '@ferry/core';
import { getEnvironment } from '@ferry/core';
import { history, status } from '@ferry/deploy';
import { colors, type Io } from '../cli-runner.js';
import { openProject, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerStatus(program: Command, cli: Cli): void {
  program
    .command('status')
    .description('what each environment runs: release, version, when, by whom, verified?')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const rows = await status(ctx);
      if (opts.json) return cli.io.out(JSON.stringify(rows, null, 2));
      const c = colors(cli.io);
      cli.io.out(
        table(cli.io, ['environment', 'release', 'version', 'deployed', 'by', 'verified'], rows.map((r) => {
          const d = r.deployment;
          const env = r.environment + (r.production ? ' (prod)' : '');
          if (!d) return [env, c.dim('—'), '', '', '', ''];
          const extra = r.latest ? c.yellow(` (latest attempt ${r.latest.outcome})`) : '';
          return [env, d.releaseId.slice(0, 12), d.version + (d.rollbackOf ? c.dim(' ↩ rollback') : ''), when(d.createdAt), d.creator, verified(cli.io, d) + extra];
        })),
      );
    });

  program
    .command('history <env>')
    .description('deployments to <env>, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (envName: string, opts: { limit: string; json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const env = getEnvironment(ctx.config, envName);
      const records = await history(ctx.ledger, env.name, Math.max(1, Number(opts.limit) || 20));
      if (opts.json) return cli.io.out(JSON.stringify(records, null, 2));
      if (records.length === 0) return cli.io.out(`${env.name} has no deployments yet`);
      cli.io.out(
        table(cli.io, ['id', 'release', 'version', 'when', 'by', 'outcome', 'verified', 'approved by'], records.map((d) => [
          d.id, d.releaseId.slice(0, 12), d.version + (d.rollbackOf ? ` ↩ from ${d.rollbackOf.slice(0, 7)}` : ''), when(d.createdAt), d.creator, d.outcome, verified(cli.io, d), approvedBy(d),
        ])),
      );
    });
}

/** Who approved the deployment, and the freeze override's reason when it passed one. */
function approvedBy(d: DeploymentRecord): string {
  if (!d.approval) return '';
  const who = d.approval.approvers.map((a) => a.login).join(', ');
  return d.approval.override ? `${who} (freeze override: ${d.approval.override.reason})` : who;
}

function verified(io: Io, d: DeploymentRecord): string {
  const c = colors(io);
  if (d.outcome !== 'success') return c.dim('—');
  return d.verification === 'verified' ? c.green('yes') : d.verification === 'failed' ? c.red('FAILED') : c.yellow('no');
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Plain aligned columns; widths ignore colour codes. */
export function table(io: Io, head: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((s, i) => s + ' '.repeat(widths[i]! - visible(s))).join('  ').trimEnd();
  return [colors(io).bold(line(head)), ...rows.map(line)].join('\n');
}
