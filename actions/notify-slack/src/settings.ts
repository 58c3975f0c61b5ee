import path from 'node:path';
import { inputs } from '@ferry/actions-runner';
import { FerryError, type Runner } from '@ferry/core';
import { commitSubject, EVENTS, isMentionId, readPlanCounts, runContext, type Notification, type SlackDestination } from '@ferry/slack';

export interface NotifySettings {
  notification: Notification;
  dest: SlackDestination;
  failOnError: boolean;
}

/** Reads the inputs; the webhook URL and the token are masked before anything else runs. */
export function readSettings(runner: Runner): NotifySettings {
  const webhookUrl = inputs.secret('webhook-url');
  const token = inputs.secret('token');
  if (webhookUrl) {
    // A log line may show the URL in parts; its secret is the path.
    // (Not a URL at all: sendWebhook refuses it without showing it.)
    if (URL.canParse(webhookUrl)) runner.mask(new URL(webhookUrl).pathname);
  }
  const event = inputs.oneOf('event', EVENTS, inputs.required('event') as (typeof EVENTS)[number]);
  let mention = inputs.string('mention');
  if (mention && !isMentionId(mention)) {
    // A typo here must not fail a deploy job: warn, and send without the mention.
    runner.annotate({ level: 'warning', title: 'FERRY_INPUT', message: `input "mention" must be a Slack user group id (S…) or user id (U…/W…), got "${mention}"; the message mentions no one\nfix: find a user group id under People → User groups → ⋯ → Copy group ID, a user id under the profile → ⋯ → Copy member ID` });
    mention = undefined;
  }
  const ctx = runContext();
  const commit = inputs.string('commit') ?? ctx.sha;
  let plan: Notification['plan'];
  const planPath = inputs.string('plan-path');
  if (planPath) {
    try {
      plan = readPlanCounts(path.resolve(process.env.GITHUB_WORKSPACE || process.cwd(), planPath));
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      runner.warning(`${e.message}; the message is sent without the plan`);
    }
  }
  const notification: Notification = {
    event,
    environment: inputs.string('environment'),
    releaseId: inputs.string('release-id'),
    version: inputs.string('version'),
    commit,
    commitMessage: commit ? commitSubject(commit) : undefined,
    actor: inputs.string('actor') ?? ctx.actor,
    plan,
    summary: inputs.string('summary'),
    runUrl: ctx.runUrl,
    reviewUrl: inputs.string('review-url'),
    failedStep: inputs.string('failed-step'),
    mention,
    repository: ctx.repository,
  };
  const dest: SlackDestination = { webhookUrl, token, channel: inputs.string('channel'), ts: inputs.string('ts'), apiUrl: inputs.string('api-url') };
  return { notification, dest, failOnError: inputs.boolean('fail-on-error') };
}
