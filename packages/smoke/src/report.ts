import fs from 'node:fs';
import path from 'node:path';
import { problem, type Problem } from '@ferry/core';
import type { SmokeReport } from './types.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const ms = (n: number) => (n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);

function table(r: SmokeReport): string[] {
  if (r.checks.length === 0) return ['_No checks ran._'];
  return [
    '| | group | check | detail | time |',
    '| --- | --- | --- | --- | --- |',
    ...r.checks.map((c) => `| ${c.ok ? '✅' : '❌'} | ${c.group} | ${cell(c.name)}${c.round ? ` (watch round ${c.round})` : ''} | ${cell(c.detail)} | ${ms(c.durationMs)} |`),
  ];
}

/** The manual step after a failure, and who may take it. */
export function rollbackRunbook(env: string, to?: { releaseId: string; version: string }): string[] {
  const id = to?.releaseId.slice(0, 12);
  return [
    `**What to do now**: roll back${to ? ` to ${to.version} (\`${id}\`), the last verified release of ${env},` : ''} or fix forward and deploy again.`,
    '',
    `- GitHub Actions: run the rollback workflow (a caller of ferry's \`rollback.yml\`, e.g. \`ferry-rollback.yml\`): Actions → ferry rollback → Run workflow, or \`gh workflow run ferry-rollback.yml -f environment=${env}${to ? ` -f release-id=${id}` : ''}\`. A job with \`deploy-env\` and \`rollback: true\`${to ? ` (\`rollback-to: ${id}\`)` : ''} does the same.`,
    `- CLI: \`ferry rollback ${env}${to ? ` --to ${id}` : ''}\`, then \`ferry verify ${env}\`.`,
    to ? '' : `- ${env} has no earlier verified release: without \`release-id\` / \`--to\` the rollback goes to the previous successful one, which was never verified.`,
    `- Who may do it: whoever may run the rollback workflow (write access to the repository, and, when \`${env}\` is a protected GitHub environment, its required reviewers approve the job); during a freeze window the rollback needs an approved \`freeze-override\`.`,
  ].filter((l, i) => l !== '' || i === 1);
}

/** Markdown for the job summary: verdict, table of checks, rollback, and the runbook when a manual step is needed. */
export function smokeMarkdown(r: SmokeReport): string {
  const verdict = r.status === 'verified' ? 'verified' : r.status === 'rolled-back' ? 'FAILED, rolled back' : 'FAILED';
  const lines = [
    `### ferry smoke-test: ${r.environment} ${verdict}`,
    '',
    `Release ${r.deployment.version} (\`${r.deployment.releaseId.slice(0, 12)}\`), deployment ${r.deployment.id}${r.deployment.rollbackOf ? ` (a rollback from \`${r.deployment.rollbackOf.slice(0, 12)}\`)` : ''}.`,
    '',
    ...table(r),
  ];
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  if (r.ok) return lines.join('\n') + '\n';
  lines.push('', `Deployment ${r.deployment.id} is recorded as **failed** verification: it will not be promoted.`);
  const rb = r.rollback;
  if (rb?.done) {
    const after = rb.report;
    lines.push('', `#### Automatic rollback to ${rb.version} (\`${rb.releaseId.slice(0, 12)}\`): ${after.ok ? 'verified' : 'FAILED'}`, '', `Deployment ${rb.deploymentId}.`, '', ...table(after));
    if (!after.ok) lines.push('', `The rolled-back release failed its smoke tests too; ferry does not roll back a rollback. Investigate ${r.environment} now.`, '', ...rollbackRunbook(r.environment));
    else lines.push('', `${r.environment} runs ${rb.version} again. Fix ${r.deployment.version} and deploy a new release.`);
  } else {
    if (rb && !rb.done) lines.push('', `Automatic rollback not done: ${rb.reason}.`);
    else lines.push('', 'Automatic rollback is off (`smoke.auto_rollback`).');
    lines.push('', ...rollbackRunbook(r.environment, r.rollback?.done ? undefined : r.lastVerified));
  }
  return lines.join('\n') + '\n';
}

/** Plain lines for the terminal. */
export function smokeText(r: SmokeReport): string[] {
  const out = [`${r.status}: ${r.environment} runs ${r.deployment.version} (${r.deployment.releaseId.slice(0, 12)}), deployment ${r.deployment.id}`];
  for (const c of r.checks) out.push(`  ${c.ok ? '✔' : '✘'} ${c.group}: ${c.name}${c.round ? ` (watch round ${c.round})` : ''} — ${c.detail}`);
  for (const n of r.notes) out.push(`  · ${n}`);
  const rb = r.rollback;
  if (rb?.done) out.push(`rolled back to ${rb.version} (${rb.releaseId.slice(0, 12)}), deployment ${rb.deploymentId}:`, ...smokeText(rb.report).map((l) => `  ${l}`));
  else if (rb) out.push(`automatic rollback not done: ${rb.reason}`);
  if (!r.ok && !rb?.done) out.push(`to roll back: ferry rollback ${r.environment}${r.lastVerified ? ` --to ${r.lastVerified.releaseId.slice(0, 12)} (${r.lastVerified.version}, the last verified release)` : ''} (or the rollback workflow)`);
  else if (rb?.done && !rb.report.ok) out.push(`the rolled-back release failed too: investigate ${r.environment} now`);
  return out;
}

/** The error a failed smoke test ends the step with: the kinds' own problems where they gave them, else one per failed check. */
export function smokeProblems(r: SmokeReport): Problem[] {
  const all = [r, ...(r.rollback?.done ? [r.rollback.report] : [])];
  const out: Problem[] = [];
  for (const rep of all) {
    for (const c of rep.checks.filter((x) => !x.ok)) {
      const where = rep === r ? '' : ` (after the rollback to ${rep.deployment.version})`;
      if (c.problems?.length) out.push(...c.problems.map((p) => ({ ...p, message: `${p.message}${where}` })));
      else out.push(problem('FERRY_SMOKE_FAILED', `${rep.environment} ${c.group} check "${c.name}" failed${where}: ${c.detail}`, { location: { key: `environments.${rep.environment}.smoke.${c.group}` } }));
    }
  }
  return out;
}

/** Writes the JSON report (every check) into `dir` and returns its path. */
export function writeReport(r: SmokeReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `smoke-${r.environment}-${r.deployment.id}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}
