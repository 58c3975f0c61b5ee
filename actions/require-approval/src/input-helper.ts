import fs from 'node:fs';
import { inputs } from '@ferry/actions-runner';
import { readEnvironmentSettings, type EnvironmentSettings } from '@ferry/actions-runner/deploy';
import { durationMs, fail, type Runner } from '@ferry/core';

export interface ApprovalSettings extends EnvironmentSettings {
  releaseId: string;
  mode?: 'environment' | 'comment';
  planPath?: string;
  wait: 'poll' | 'resume';
  pollIntervalMs: number;
  issueNumber?: number;
  freezeOverride?: string;
  /** Logins that may never approve: this run's actor and triggering actor (none when resumed by a comment: the commenter is not the requester). */
  actors: string[];
}

export function readSettings(runner: Runner): ApprovalSettings {
  const mode = inputs.oneOf('mode', ['', 'environment', 'comment'] as const, '');
  const issue = inputs.string('issue-number');
  if (issue !== undefined && !/^[1-9]\d*$/.test(issue)) fail('FERRY_INPUT', `input "issue-number" must be an issue or pull request number, got "${issue}"`);
  const interval = inputs.string('poll-interval') ?? '30s';
  let pollIntervalMs = 0;
  try {
    pollIntervalMs = durationMs(interval);
  } catch {
    fail('FERRY_INPUT', `input "poll-interval" must be a duration such as 30s or 2m, got "${interval}"`);
  }
  const resumed = process.env.GITHUB_EVENT_NAME === 'issue_comment';
  return {
    ...readEnvironmentSettings(runner),
    releaseId: inputs.required('release-id'),
    ...(mode ? { mode } : {}),
    planPath: inputs.string('plan-path'),
    wait: inputs.oneOf('wait', ['poll', 'resume'] as const, 'poll'),
    pollIntervalMs,
    issueNumber: issue ? Number(issue) : eventIssueNumber(),
    freezeOverride: inputs.string('freeze-override'),
    actors: resumed ? [] : [process.env.GITHUB_ACTOR, process.env.GITHUB_TRIGGERING_ACTOR].filter((a): a is string => Boolean(a)),
  };
}

/** The pull request or issue the run's event is about (pull_request, issue_comment), if any. */
function eventIssueNumber(): number | undefined {
  const file = process.env.GITHUB_EVENT_PATH;
  if (!file || !fs.existsSync(file)) return undefined;
  const event = JSON.parse(fs.readFileSync(file, 'utf8')) as { pull_request?: { number?: number }; issue?: { number?: number } };
  return event.pull_request?.number ?? event.issue?.number;
}
