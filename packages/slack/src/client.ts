/**
 * Sending to Slack: incoming webhooks and the Web API (chat.postMessage,
 * chat.update), over plain `fetch` with one small bounded retry loop.
 *
 * Why not the official @slack/web-api (8.x, fetch-based, ~230 kB bundled with
 * p-queue/p-retry) and @slack/webhook: the webhook client does not retry 429s
 * (it aborts on any 4xx, Retry-After ignored), so webhooks need this loop
 * anyway; the Web API client's default policy retries for about thirty
 * minutes and adds its own backoff on top of Retry-After, which a deploy job
 * must not do; and both wrap errors in their own types that would still need
 * mapping to ferry's codes. Two endpoints and one retry rule are simpler
 * written out, and match packages/registry and packages/airflow.
 *
 * Secrets: neither the webhook URL nor the token ever goes into an error
 * message; errors name the endpoint as "the incoming webhook" or the API
 * method, and quote only Slack's error code.
 */
import { FerryError, problem, type ErrorCode } from '@ferry/core';
import type { SlackMessage } from './message.js';

export interface TransportOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per request, the first included (default 4). */
  attempts?: number;
  /** Longest single wait, Retry-After included (default 30 s); a longer Retry-After gives up at once. */
  maxWaitMs?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Told before every retry (for the log). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
}

interface RawResponse {
  status: number;
  body: string;
}

const RETRYABLE_API_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export const DEFAULT_API_URL = 'https://slack.com/api/';

/** Seconds (Slack sends whole seconds); HTTP dates are not used by Slack. */
function retryAfterMs(v: string | null): number | undefined {
  if (v === null || !/^\d+(\.\d+)?$/.test(v.trim())) return undefined;
  return Math.ceil(Number(v) * 1000);
}
const backoff = (attempt: number) => Math.min(8000, 500 * 2 ** (attempt - 1));

function unavailable(where: string, why: string): FerryError {
  return new SlackError('unavailable', problem('FERRY_SLACK_UNAVAILABLE', `Slack ${where}: ${why}`));
}

/** POSTs until Slack answers something that is not "try again", within the bounds. */
async function post(where: string, url: string, init: { headers: Record<string, string>; body: string }, o: TransportOptions, isRetryable: (r: RawResponse) => boolean): Promise<RawResponse> {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = Math.max(1, o.attempts ?? 4);
  const maxWait = o.maxWaitMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    let res: RawResponse | undefined;
    let wait: number | undefined;
    let reason: string;
    try {
      const r = await doFetch(url, { method: 'POST', headers: init.headers, body: init.body, redirect: 'error', signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
      res = { status: r.status, body: await r.text() };
      if (r.status === 429) {
        wait = retryAfterMs(r.headers.get('retry-after'));
        reason = `rate limited (HTTP 429${wait !== undefined ? `, Retry-After ${wait / 1000} s` : ''})`;
        if (wait !== undefined && wait > maxWait) throw unavailable(where, `${reason}, longer than the ${maxWait / 1000} s ferry waits`);
      } else if (r.status >= 500 || isRetryable(res)) {
        reason = `HTTP ${r.status}${res.body && res.body.length < 200 ? ` ${res.body.trim()}` : ''}`;
      } else {
        return res;
      }
    } catch (e) {
      if (e instanceof FerryError) throw e;
      // fetch's own errors carry the URL in `cause` only; the message is generic, so it is safe to show.
      const err = e as Error & { cause?: { code?: string } };
      reason = err.name === 'TimeoutError' ? `no answer within ${(o.timeoutMs ?? 10_000) / 1000} s` : `cannot connect (${err.cause?.code ?? err.message})`;
    }
    if (attempt >= attempts) throw unavailable(where, `${reason} (gave up after ${attempts} attempts)`);
    const ms = wait ?? backoff(attempt);
    o.onRetry?.({ attempt, waitMs: ms, reason });
    await sleep(ms);
  }
}

interface Known {
  code: ErrorCode;
  text: string;
  hint?: string;
}

/** Slack's documented error codes (incoming webhooks and chat.postMessage / chat.update), in words. */
const KNOWN: Record<string, Known> = {
  // credentials
  invalid_auth: { code: 'FERRY_SLACK_AUTH', text: 'the token is not valid (mistyped, revoked, or from another workspace)' },
  not_authed: { code: 'FERRY_SLACK_AUTH', text: 'no token reached Slack' },
  account_inactive: { code: 'FERRY_SLACK_AUTH', text: 'the token belongs to a deleted user or workspace' },
  token_revoked: { code: 'FERRY_SLACK_AUTH', text: 'the token was revoked (the app was uninstalled or the token rotated)' },
  token_expired: { code: 'FERRY_SLACK_AUTH', text: 'the token has expired (token rotation is on for this app)', hint: 'Use a bot token that does not expire, or turn token rotation off for the app.' },
  missing_scope: { code: 'FERRY_SLACK_AUTH', text: 'the token lacks the chat:write scope', hint: 'Add the chat:write bot scope under OAuth & Permissions, reinstall the app, and update the secret.' },
  not_allowed_token_type: { code: 'FERRY_SLACK_AUTH', text: 'this kind of token cannot post messages', hint: 'Use a bot token (xoxb-…).' },
  no_permission: { code: 'FERRY_SLACK_AUTH', text: 'the token has no permission to post here' },
  ekm_access_denied: { code: 'FERRY_SLACK_AUTH', text: 'administrators have suspended posting messages' },
  invalid_token: { code: 'FERRY_SLACK_AUTH', text: 'the webhook URL is not valid' },
  no_service: { code: 'FERRY_SLACK_AUTH', text: 'the webhook was removed or disabled (no_service)', hint: 'Create a new incoming webhook for the channel and update the secret passed to `webhook-url`.' },
  no_team: { code: 'FERRY_SLACK_AUTH', text: 'the workspace of the webhook no longer exists' },
  team_disabled: { code: 'FERRY_SLACK_AUTH', text: 'the workspace of the webhook is disabled' },
  // channel
  channel_not_found: { code: 'FERRY_SLACK_CHANNEL', text: 'the channel does not exist, or the app cannot see it' },
  not_in_channel: { code: 'FERRY_SLACK_CHANNEL', text: 'the bot is not a member of the channel', hint: 'Invite the app to the channel (/invite @your-app), or add the chat:write.public scope for public channels.' },
  is_archived: { code: 'FERRY_SLACK_CHANNEL', text: 'the channel is archived' },
  channel_is_archived: { code: 'FERRY_SLACK_CHANNEL', text: 'the channel of the webhook is archived', hint: 'Unarchive the channel, or create a webhook for another channel.' },
  action_prohibited: { code: 'FERRY_SLACK_CHANNEL', text: 'an administrator restricts posting to this channel' },
  posting_to_general_channel_denied: { code: 'FERRY_SLACK_CHANNEL', text: 'only admins may post to the workspace-wide channel' },
  restricted_action: { code: 'FERRY_SLACK_CHANNEL', text: 'the workspace does not let this app post to the channel' },
  restricted_action_read_only_channel: { code: 'FERRY_SLACK_CHANNEL', text: 'the channel is read-only' },
  // updating (ferry then posts a new message)
  message_not_found: { code: 'FERRY_SLACK_REJECTED', text: 'the message to update (`ts`) no longer exists in the channel' },
  cant_update_message: { code: 'FERRY_SLACK_REJECTED', text: 'the message to update (`ts`) was not posted by this app' },
  edit_window_closed: { code: 'FERRY_SLACK_REJECTED', text: 'the workspace no longer allows editing the message' },
  // the message itself
  invalid_payload: { code: 'FERRY_SLACK_REJECTED', text: 'Slack could not read the payload' },
  no_text: { code: 'FERRY_SLACK_REJECTED', text: 'the message had no text' },
  invalid_blocks: { code: 'FERRY_SLACK_REJECTED', text: 'Slack refused the message blocks' },
  invalid_blocks_format: { code: 'FERRY_SLACK_REJECTED', text: 'the blocks are not an array of block objects' },
  msg_too_long: { code: 'FERRY_SLACK_REJECTED', text: 'the message text is too long' },
  msg_blocks_too_long: { code: 'FERRY_SLACK_REJECTED', text: 'the message blocks are too long' },
  too_many_attachments: { code: 'FERRY_SLACK_REJECTED', text: 'too many attachments' },
  invalid_arguments: { code: 'FERRY_SLACK_REJECTED', text: 'Slack refused the arguments' },
  user_not_found: { code: 'FERRY_SLACK_REJECTED', text: 'a user named in the message does not exist' },
  // Slack's side
  ratelimited: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'rate limited' },
  rollup_error: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'Slack had an internal error (rollup_error)' },
  internal_error: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'Slack had an internal error' },
  fatal_error: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'Slack had an internal error' },
  service_unavailable: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'Slack is unavailable' },
  request_timeout: { code: 'FERRY_SLACK_UNAVAILABLE', text: 'Slack timed out' },
};

/** A FerryError that also carries Slack's own error code. */
export class SlackError extends FerryError {
  constructor(
    readonly slackCode: string,
    p: ReturnType<typeof problem>,
  ) {
    super(p);
  }
}

/** An error code from Slack as a FerryError saying what it means and how to fix it. */
export function slackError(where: string, slackCode: string, status?: number): SlackError {
  // Only a code-like answer is quoted: a body is never echoed into logs.
  const safe = /^[a-z0-9_.-]{1,80}$/i.test(slackCode) ? slackCode : 'unexpected answer';
  const k = KNOWN[safe];
  const http = status !== undefined && status !== 200 ? `HTTP ${status}, ` : '';
  if (k) return new SlackError(safe, problem(k.code, `Slack ${where}: ${k.text} (${http}${safe})`, k.hint ? { hint: k.hint } : {}));
  return new SlackError(safe, problem(status !== undefined && status >= 500 ? 'FERRY_SLACK_UNAVAILABLE' : 'FERRY_SLACK_REJECTED', `Slack ${where}: ${http}${safe}`));
}

/** Posts through an incoming webhook. Webhooks answer `ok`, or an error code as plain text with a 4xx status. */
export async function sendWebhook(webhookUrl: string, message: SlackMessage, o: TransportOptions = {}): Promise<void> {
  const where = 'incoming webhook';
  if (!URL.canParse(webhookUrl) || !/^https?:$/.test(new URL(webhookUrl).protocol)) {
    throw new SlackError('invalid_url', problem('FERRY_SLACK_AUTH', 'the incoming webhook URL is not an http(s) URL (its value is not shown)', { hint: 'Pass the webhook URL from the Slack app (https://hooks.slack.com/services/…) through a secret, e.g. webhook-url: ${{ secrets.SLACK_WEBHOOK_URL }}.' }));
  }
  const res = await post(where, webhookUrl, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }) }, o, () => false);
  if (res.status >= 200 && res.status < 300) return;
  throw slackError(where, res.body.trim().split(/\s/)[0] || `HTTP ${res.status}`, res.status);
}

export interface ApiTarget {
  token: string;
  channel: string;
  apiUrl?: string;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

async function callApi(method: 'chat.postMessage' | 'chat.update', t: ApiTarget, args: Record<string, unknown>, o: TransportOptions): Promise<PostedMessage> {
  const base = (t.apiUrl ?? DEFAULT_API_URL).replace(/\/?$/, '/');
  const res = await post(method, base + method, { headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${t.token}` }, body: JSON.stringify(args) }, o, (r) => {
    const body = parseApi(r.body);
    return body?.ok === false && RETRYABLE_API_ERRORS.has(String(body.error));
  });
  const body = parseApi(res.body);
  if (!body) throw slackError(method, `HTTP ${res.status} without a Slack API answer`, res.status);
  if (body.ok !== true) throw slackError(method, String(body.error ?? 'unknown_error'), res.status);
  if (typeof body.ts !== 'string' || typeof body.channel !== 'string') throw slackError(method, 'an answer without ts or channel', res.status);
  return { channel: body.channel, ts: body.ts };
}

function parseApi(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function postMessage(t: ApiTarget, message: SlackMessage, o: TransportOptions = {}): Promise<PostedMessage> {
  return callApi('chat.postMessage', t, { channel: t.channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }, o);
}

export function updateMessage(t: ApiTarget, ts: string, message: SlackMessage, o: TransportOptions = {}): Promise<PostedMessage> {
  return callApi('chat.update', t, { channel: t.channel, ts, text: message.text, blocks: message.blocks }, o);
}

/** chat.update errors after which posting a new message is the right thing to do. */
export function isUpdateImpossible(e: unknown): boolean {
  return e instanceof SlackError && ['message_not_found', 'cant_update_message', 'edit_window_closed'].includes(e.slackCode);
}
