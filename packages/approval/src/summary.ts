import type { ApprovalRecord } from '@ferry/core';
import type { ApprovalRequest } from './comment-mode.js';
import type { Allowed, Policy, Verdict } from './policy.js';

const short = (id: string) => id.slice(0, 12);
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export interface SummaryInput {
  status: 'approved' | 'denied' | 'refused' | 'timed-out' | 'waiting';
  verdict: Verdict;
  policy: Policy;
  allowed: Allowed;
  record?: ApprovalRecord;
  environment?: string;
  releaseId?: string;
  request?: ApprovalRequest;
  deadline?: string;
}

/**
 * The job summary of require-approval: who approved, when and where; or,
 * while waiting, the runbook: who may approve and exactly what to comment where.
 */
export function approvalSummary(s: SummaryInput): string {
  const env = s.record?.environment ?? s.environment ?? '';
  const id = s.record?.releaseId ?? s.releaseId ?? '';
  const out: string[] = [];
  if (s.status === 'approved') {
    out.push(`### ferry approval: release \`${short(id)}\` → ${env} approved`, '', '| approver | when | where |', '|---|---|---|');
    for (const a of s.verdict.approvers) out.push(`| @${esc(a.login)} | ${a.at} | ${a.url ?? s.record?.url ?? ''} |`);
    if (s.record?.override) out.push('', `**Freeze override** of window '${esc(s.record.override.window)}': ${esc(s.record.override.reason)}`);
  } else if (s.status === 'waiting') {
    out.push(`### ferry approval: waiting for approval of release \`${short(id)}\` → ${env}`, '');
    out.push(`**Runbook**: ${s.allowed.describe()} comment on ${s.request ? `[#${s.request.issueNumber}](${s.request.url})` : 'the approval issue'} with a line`, '', '```', `/approve ${short(id)}`, '```', '');
    out.push(`(or \`/deny ${short(id)} <reason>\`). ${s.policy.min_approvals} distinct approver(s) needed; ${s.verdict.approvers.length} so far${s.verdict.approvers.length ? ` (${s.verdict.approvers.map((a) => `@${a.login}`).join(', ')})` : ''}.`);
    out.push(`A workflow on \`issue_comment\` running require-approval with the same inputs resumes the deploy. Without a decision by ${s.deadline ?? 'the timeout'} the deploy is refused.`);
  } else {
    const what = { denied: 'denied', refused: 'refused', 'timed-out': 'timed out (refused)' }[s.status];
    out.push(`### ferry approval: release \`${short(id)}\` → ${env} ${what}`, '');
    if (s.verdict.deniedBy) out.push(`Denied by @${s.verdict.deniedBy.login}${s.verdict.deniedBy.reason ? `: ${esc(s.verdict.deniedBy.reason)}` : ''}.`);
    out.push(`${s.verdict.approvers.length} of ${s.policy.min_approvals} approval(s)${s.verdict.approvers.length ? `: ${s.verdict.approvers.map((a) => `@${a.login}`).join(', ')}` : ''}. Who may approve: ${s.allowed.describe()}.`);
  }
  if (s.verdict.ignored.length) {
    out.push('', '**Not counted**', '', ...s.verdict.ignored.map((p) => `- \`${p.code}\`: ${esc(p.message)}`));
  }
  return out.join('\n') + '\n';
}
