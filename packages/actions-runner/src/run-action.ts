import * as core from '@actions/core';
import { fail, formatProblem, toProblems } from '@ferry/core';
import { ActionsRunner } from './actions-runner.js';

/**
 * A failure the action has already reported in full (annotations, summary):
 * the step only needs to fail, with this message.
 */
export class ReportedFailure extends Error {
  override name = 'ReportedFailure';
}

/**
 * Entry point of every action: runs `body`, turns any failure into
 * annotations, a summary table and a failed step (never a bare stack trace).
 */
export async function runAction(name: string, body: (runner: ActionsRunner) => Promise<void>): Promise<void> {
  const runner = new ActionsRunner();
  try {
    await body(runner);
  } catch (e) {
    if (e instanceof ReportedFailure) {
      core.setFailed(`${name}: ${e.message}`);
      return;
    }
    const problems = toProblems(e);
    runner.reportProblems(problems);
    core.setFailed(`${name}: ${problems.map(formatProblem).join('\n')}`);
    if (!(e instanceof Error && e.name === 'FerryError') && e instanceof Error && e.stack) core.debug(e.stack);
  } finally {
    await runner.flush().catch(() => undefined);
  }
}

/** For actions whose implementation has not landed: fail clearly instead of succeeding silently. */
export async function notImplemented(name: string, issue: string): Promise<void> {
  await runAction(name, async () => {
    fail('FERRY_NOT_IMPLEMENTED', `${name} is not implemented in this version of ferry (${issue}); this step did nothing`, {
      hint: `Remove the ${name} step for now, or pin a ferry version that includes it.`,
    });
  });
}
