import { createClient, githubContext, pullRequestNumber, upsertComment } from '@ferry/github';
import type { Plan, Runner } from '@ferry/core';
import { planMarkdown } from '@ferry/deploy';
import type { DeploySettings } from './input-helper.js';

/** The plan as one pull-request comment per project and environment, updated on every push. */
export async function commentPlan(runner: Runner, s: DeploySettings, plan: Plan): Promise<void> {
  const pr = pullRequestNumber();
  if (!pr) {
    runner.warning('comment: true, but this run is not for a pull request; no comment posted');
    return;
  }
  if (!s.token) {
    runner.warning('comment: true needs a token; no comment posted');
    return;
  }
  const ctx = githubContext();
  const { url, created } = await upsertComment(createClient(s.token, ctx.apiUrl), ctx, pr, `plan ${plan.project} ${plan.environment}`, planMarkdown(plan));
  runner.setOutput('comment-url', url);
  runner.info(`${created ? 'posted' : 'updated'} the plan on pull request #${pr}: ${url}`);
}
