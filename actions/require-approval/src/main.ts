import { runAction } from '@ferry/actions-runner';
import { approve } from './approve.js';
import { readSettings } from './input-helper.js';

await runAction('require-approval', async (runner) => {
  const outcome = await approve(runner, readSettings(runner));
  // Outputs first: a later step (notify-slack, a resumed run) reads them even when this step fails.
  runner.setOutput('status', outcome.status);
  runner.setOutput('approved', String(outcome.status === 'approved' || outcome.status === 'not-required'));
  runner.setOutput('approvers', outcome.approvers.join(','));
  runner.setOutput('approval', outcome.record ? JSON.stringify(outcome.record) : '');
  runner.setOutput('issue-number', outcome.issueNumber !== undefined ? String(outcome.issueNumber) : '');
  runner.appendSummary(outcome.summary);
  if (outcome.error) throw outcome.error;
  runner.info(`require-approval: ${outcome.status}${outcome.approvers.length ? ` (${outcome.approvers.join(', ')})` : ''}`);
});
