import type { ArtifactKind, Change, KindPlan, Plan } from '@ferry/core';
import { KINDS } from '@ferry/kinds';

const MAX_ROWS = 100;
const short = (id: string) => id.slice(0, 12);
const escape = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function headline(plan: Plan): string {
  const verb = plan.mode === 'rollback' ? 'rollback' : 'deploy';
  return `${plan.project} → ${plan.environment}: ${verb} ${plan.release.version} (\`${short(plan.release.id)}\`)`;
}

function currentLine(plan: Plan): string {
  if (!plan.current) return `${plan.environment} has no deployment yet.`;
  return `${plan.environment} runs ${plan.current.version} (\`${short(plan.current.id)}\`, ${plan.current.verified ? 'verified' : 'not verified'}).`;
}

/** What the kind itself has to say about its part of the plan (dbt model changes, …). */
function described(kp: KindPlan, kinds: readonly ArtifactKind[]) {
  return kinds.find((k) => k.name === kp.kind)?.describePlan?.(kp);
}

/** The plan as Markdown for the job summary, PR comments and approval requests. */
export function planMarkdown(plan: Plan, kinds: readonly ArtifactKind[] = KINDS): string {
  const out: string[] = [`### ferry plan: ${headline(plan)}`, '', currentLine(plan), ''];
  if (!plan.promotion.ok) out.push(`> [!CAUTION]\n> Refused by the promotion rule: ${plan.promotion.detail}`, '');
  else if (plan.promotion.requires) out.push(`Promotion rule (requires ${plan.promotion.requires}): ${plan.promotion.detail}.`, '');
  if (!plan.changed) out.push('**Nothing to deploy**: the environment already runs this release.', '');
  if (plan.freeze?.active) {
    const f = plan.freeze.active;
    out.push(`> [!WARNING]\n> ${plan.environment} is frozen by window '${escape(f.window)}' until ${f.endsAt}: the deploy is refused unless an approval overrides the freeze (require-approval with \`freeze-override: <reason>\`).`, '');
  } else if (plan.freeze?.next) {
    out.push(`Next freeze window: '${escape(plan.freeze.next.window)}' from ${plan.freeze.next.startedAt} to ${plan.freeze.next.endsAt}.`, '');
  }
  if (plan.approval.required) out.push(`> [!IMPORTANT]\n> Needs approval: ${plan.approval.reason}. Plan digest \`${plan.approval.digest}\`.`, '');
  out.push('| kind | target | create | update | delete | unchanged |', '|---|---|---:|---:|---:|---:|');
  for (const k of plan.kinds) {
    const n = (a: Change['action']) => k.changes.filter((c) => c.action === a).length;
    out.push(`| ${k.kind} | ${k.target ? `\`${escape(k.target)}\`` : '(not deployed)'} | ${n('create')} | ${n('update')} | ${n('delete')} | ${k.unchanged} |`);
  }
  const changes = plan.kinds.flatMap((k) => k.changes.filter((c) => c.action !== 'noop'));
  if (changes.length) {
    out.push('', `<details><summary>${changes.length} file change(s)</summary>`, '', '| action | kind | path | reason |', '|---|---|---|---|');
    for (const c of changes.slice(0, MAX_ROWS)) out.push(`| ${c.action} | ${c.kind} | \`${escape(c.path)}\` | ${escape(c.reason)} |`);
    if (changes.length > MAX_ROWS) out.push(`| … | | ${changes.length - MAX_ROWS} more | see plan.json |`);
    out.push('', '</details>');
  }
  for (const kp of plan.kinds) {
    const d = described(kp, kinds);
    if (d?.markdown.length) out.push('', ...d.markdown);
  }
  const notes = [...plan.warnings.map((w) => `⚠️ ${w}`), ...plan.kinds.flatMap((k) => k.notes.filter((n) => !plan.warnings.includes(n)))];
  if (notes.length) out.push('', ...notes.map((n) => `- ${escape(n)}`));
  return out.join('\n') + '\n';
}

/** The plan for a terminal. */
export function planText(plan: Plan, opts: { maxRows?: number; kinds?: readonly ArtifactKind[] } = {}): string {
  const max = opts.maxRows ?? 12;
  const out: string[] = [`Plan: ${headline(plan).replace(/`/g, '')}`, `  ${currentLine(plan).replace(/`/g, '')}`];
  if (plan.promotion.requires) out.push(`  promotion (requires ${plan.promotion.requires}): ${plan.promotion.ok ? 'ok' : 'REFUSED'}: ${plan.promotion.detail}`);
  for (const k of plan.kinds) {
    const n = (a: Change['action']) => k.changes.filter((c) => c.action === a).length;
    out.push(`  ${k.kind.padEnd(8)} ${k.target ?? '(not deployed)'}: +${n('create')} ~${n('update')} -${n('delete')} =${k.unchanged}`);
  }
  const changes = plan.kinds.flatMap((k) => k.changes.filter((c) => c.action !== 'noop'));
  const sign = { create: '+', update: '~', delete: '-', noop: '=' } as const;
  for (const c of changes.slice(0, max)) out.push(`    ${sign[c.action]} ${c.kind}/${c.path}  (${c.reason})`);
  if (changes.length > max) out.push(`    … and ${changes.length - max} more (--json for all)`);
  for (const kp of plan.kinds) out.push(...(described(kp, opts.kinds ?? KINDS)?.text ?? []).map((l) => `  ${l}`));
  if (plan.freeze?.active) out.push(`  FROZEN: window '${plan.freeze.active.window}' until ${plan.freeze.active.endsAt}`);
  else if (plan.freeze?.next) out.push(`  next freeze: '${plan.freeze.next.window}' ${plan.freeze.next.startedAt} → ${plan.freeze.next.endsAt}`);
  if (plan.approval.required) out.push(`  needs approval: ${plan.approval.reason}`, `  plan digest: ${plan.approval.digest}`);
  for (const w of plan.warnings) out.push(`  warning: ${w}`);
  for (const n of plan.kinds.flatMap((k) => k.notes)) if (!plan.warnings.includes(n)) out.push(`  note: ${n}`);
  if (!plan.changed) out.push('  Nothing to deploy: the environment already runs this release.');
  return out.join('\n');
}
