import { plainText, safeText } from './escape.js';

export const EVENTS = ['started', 'awaiting-approval', 'succeeded', 'failed', 'rolled-back'] as const;
export type NotifyEvent = (typeof EVENTS)[number];

/** Counts of planned changes per artifact kind (see planSummary). */
export interface PlanCounts {
  kind: string;
  create: number;
  update: number;
  delete: number;
}

/** Everything a deploy message says, as typed data: nothing here is Slack markup. */
export interface Notification {
  event: NotifyEvent;
  environment?: string;
  releaseId?: string;
  version?: string;
  /** Full commit sha; shown shortened. */
  commit?: string;
  /** First line of the commit message, when known. */
  commitMessage?: string;
  actor?: string;
  /** Per kind, from a plan.json. */
  plan?: PlanCounts[];
  /** Free text from the workflow (shown as is, escaped). */
  summary?: string;
  /** Link to the workflow run. */
  runUrl?: string;
  /** Link to review the deployment (awaiting-approval). */
  reviewUrl?: string;
  /** The step that failed (failed). */
  failedStep?: string;
  /** Slack user group (S…) or user (U…/W…) id, mentioned when the deploy failed or was rolled back. The only way a message mentions anyone. */
  mention?: string;
  /** Repository (owner/name), shown in the context line. */
  repository?: string;
}

export interface SlackMessage {
  /** Fallback text (notifications, screen readers); mrkdwn, escaped. */
  text: string;
  blocks: Block[];
}

export type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: { type: 'button'; text: { type: 'plain_text'; text: string }; url: string; action_id: string; style?: 'primary' | 'danger' }[] };

/** Slack's documented limits (Block Kit reference, chat.postMessage). */
export const LIMITS = { text: 40_000, section: 3_000, field: 2_000, header: 150, button: 75, url: 3_000, contextElements: 10, blocks: 50 } as const;

/**
 * Stable look per event: the same emoji and wording in every message and update.
 * (Block Kit has no colour bar; only legacy attachments do, so the emoji carries it.)
 */
export const EVENT_STYLE: Record<NotifyEvent, { emoji: string }> = {
  started: { emoji: ':large_blue_circle:' },
  'awaiting-approval': { emoji: ':large_yellow_circle:' },
  succeeded: { emoji: ':large_green_circle:' },
  failed: { emoji: ':red_circle:' },
  'rolled-back': { emoji: ':large_purple_circle:' },
};

const MENTION_ID = /^[SUW][A-Z0-9]{2,}$/;

/** `<!subteam^S…>` for a user group, `<@U…>` for a user; anything else is refused by the caller. */
export function mentionMarkup(id: string): string {
  if (!MENTION_ID.test(id)) throw new Error(`not a Slack user or user group id: ${id}`);
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

export function isMentionId(id: string): boolean {
  return MENTION_ID.test(id);
}

function title(n: Notification): string {
  const what = n.version ?? n.releaseId;
  const env = n.environment;
  switch (n.event) {
    case 'started':
      return what ? `Deploying ${what}${env ? ` to ${env}` : ''}` : `Deploy started${env ? ` (${env})` : ''}`;
    case 'awaiting-approval':
      return `Waiting for approval to deploy${what ? ` ${what}` : ''}${env ? ` to ${env}` : ''}`;
    case 'succeeded':
      return what ? `Deployed ${what}${env ? ` to ${env}` : ''}` : `Deploy succeeded${env ? ` (${env})` : ''}`;
    case 'failed':
      return `Deploy${what ? ` of ${what}` : ''}${env ? ` to ${env}` : ''} failed`;
    case 'rolled-back':
      return `Rolled back${env ? ` ${env}` : ''}${what ? ` to ${what}` : ''}`;
  }
}

export function planLine(counts: PlanCounts[]): string {
  if (counts.length === 0) return 'no changes';
  return counts
    .map((c) => {
      const parts = [c.create && `${c.create} new`, c.update && `${c.update} changed`, c.delete && `${c.delete} removed`].filter(Boolean);
      return `${c.kind}: ${parts.length ? parts.join(', ') : 'no changes'}`;
    })
    .join(' · ');
}

function isHttpUrl(u: string | undefined): u is string {
  if (!u || u.length > LIMITS.url) return false;
  try {
    const p = new URL(u).protocol;
    return p === 'https:' || p === 'http:';
  } catch {
    return false;
  }
}

/**
 * The message for one event, built as data: every piece of user text is
 * escaped (safeText) or sent as plain_text, and cut to Slack's limits, so
 * quotes, newlines, long commit messages and `<!channel>` arrive as text.
 */
export function buildMessage(n: Notification): SlackMessage {
  const style = EVENT_STYLE[n.event];
  const head = title(n);
  const mention = (n.event === 'failed' || n.event === 'rolled-back') && n.mention ? mentionMarkup(n.mention) : '';

  const fields: TextObject[] = [];
  const field = (label: string, value: string | undefined) => {
    if (value) fields.push({ type: 'mrkdwn', text: `*${label}*\n${safeText(value, LIMITS.field - label.length - 3)}` });
  };
  field('Environment', n.environment);
  field('Version', n.version);
  field('Release', n.releaseId);
  if (n.commit) {
    const short = n.commit.slice(0, 12);
    const msg = n.commitMessage ? ` ${n.commitMessage}` : '';
    fields.push({ type: 'mrkdwn', text: `*Commit*\n\`${safeText(short, 40)}\`${safeText(msg, LIMITS.field - 80)}` });
  }
  field('By', n.actor);
  if (n.event === 'failed') field('Failed step', n.failedStep);

  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: plainText(`${style.emoji} ${head}`, LIMITS.header), emoji: true } }];
  if (mention) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${mention} ${safeText(head, 200)}` } });
  if (fields.length) blocks.push({ type: 'section', fields: fields.slice(0, 10) });
  if (n.plan) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Plan*\n${safeText(planLine(n.plan), LIMITS.section - 10)}` } });
  if (n.summary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeText(n.summary, LIMITS.section) } });

  const buttons: Extract<Block, { type: 'actions' }>['elements'] = [];
  const reviewUrl = n.reviewUrl ?? n.runUrl;
  if (n.event === 'awaiting-approval' && isHttpUrl(reviewUrl)) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Review deployment' }, url: reviewUrl, action_id: 'ferry-review', style: 'primary' });
  if (isHttpUrl(n.runUrl)) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: n.runUrl, action_id: 'ferry-run' });
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });

  const context: string[] = [];
  if (n.repository) context.push(safeText(n.repository, 200));
  context.push(`ferry · ${n.event}`);
  blocks.push({ type: 'context', elements: context.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: t })) });

  const fallback = [mention, `${style.emoji} ${safeText(head, 1000)}`, n.event === 'failed' && n.failedStep ? `(step: ${safeText(n.failedStep, 500)})` : '']
    .filter(Boolean)
    .join(' ');
  return { text: fallback.slice(0, LIMITS.text), blocks };
}
