import type { KindPlan } from '@ferry/core';
import type { DbtPlan } from '@ferry/dbt';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const MAX = 50;

/** The dbt part of a plan: what changed and why, what rebuilds (and which with --full-refresh), the dbt commands. */
export function describeDbtPlan(kp: KindPlan): { markdown: string[]; text: string[] } {
  const dp = kp.details as DbtPlan | undefined;
  if (!dp) return { markdown: [], text: [] };
  const md: string[] = [];
  const text: string[] = [];
  if (dp.changes.length) {
    md.push(`#### dbt: ${dp.changes.length} change(s)`, '', '| node | change | category | why | downstream |', '|---|---|---|---|---:|');
    for (const c of dp.changes.slice(0, MAX)) {
      md.push(`| \`${esc(c.name)}\` (${c.resourceType}) | ${c.change} | ${c.category} | ${esc([c.categoryReason, ...c.reasons.map((r) => r.detail)].filter(Boolean).join('; '))} | ${c.downstream.length} |`);
    }
    if (dp.changes.length > MAX) md.push(`| … | | | ${dp.changes.length - MAX} more in plan.json | |`);
    text.push(`dbt: ${dp.changes.length} change(s)`);
    for (const c of dp.changes.slice(0, 20)) text.push(`  ${c.change.padEnd(8)} ${c.name} [${c.category}] ${c.reasons.map((r) => r.detail).join('; ') || c.categoryReason}`);
  }
  const fr = dp.rebuild.filter((r) => r.fullRefresh);
  if (dp.rebuild.length) {
    md.push('', `#### Backfill: ${dp.rebuild.length} node(s) rebuild${fr.length ? `, ${fr.length} with --full-refresh` : ''}`, '', '| node | full refresh | why |', '|---|---|---|');
    for (const r of dp.rebuild.slice(0, MAX)) md.push(`| \`${esc(r.name)}\` | ${r.fullRefresh ? '**yes**' : 'no'} | ${esc(r.why)} |`);
    if (dp.rebuild.length > MAX) md.push(`| … | | ${dp.rebuild.length - MAX} more in plan.json |`);
    text.push(`dbt rebuild: ${dp.rebuild.length} node(s)${fr.length ? `; full refresh: ${fr.map((r) => r.name).join(', ')}` : ''}`);
  }
  if (dp.invocations.length) {
    md.push('', '<details><summary>dbt commands</summary>', '', '```', ...dp.invocations.map((i) => `dbt ${i.args.join(' ')}`), '```', '', `Slim CI against this environment: \`dbt build --select ${dp.ciSelect.join(' ') || '<nothing>'} --defer --state <deployed manifest>\``, '', '</details>');
    for (const i of dp.invocations) text.push(`  $ dbt ${i.args.join(' ')}`);
  }
  return { markdown: md, text };
}
