import { fail, FerryError, problem } from '@ferry/core';
import { isUpdateImpossible, postMessage, sendWebhook, updateMessage, type SlackError, type TransportOptions } from './client.js';
import type { SlackMessage } from './message.js';

export interface SlackDestination {
  /** Incoming webhook URL (secret). */
  webhookUrl?: string;
  /** Bot token (secret); with `channel`. Takes precedence over `webhookUrl`. */
  token?: string;
  channel?: string;
  /** The pipeline's message to update in place (bot mode). */
  ts?: string;
  /** Web API base URL (default https://slack.com/api/). */
  apiUrl?: string;
}

export interface SendResult {
  status: 'sent' | 'updated';
  mode: 'webhook' | 'bot';
  /** Bot mode only: webhooks do not say where or when the message went. */
  ts?: string;
  channel?: string;
  /** Things the caller should show (e.g. a `ts` that could not be updated). */
  notes: string[];
}

/**
 * Sends one message: bot mode (chat.postMessage, or chat.update when `ts` is
 * given, so one message per pipeline is updated in place across jobs) when a
 * token is given, else the incoming webhook. An update of a message that is
 * gone or not editable posts a new message instead, and says so.
 */
export async function sendMessage(dest: SlackDestination, message: SlackMessage, o: TransportOptions = {}): Promise<SendResult> {
  const notes: string[] = [];
  if (dest.token) {
    if (!dest.channel && dest.webhookUrl) {
      notes.push('a bot token but no channel: posting through webhook-url instead (give `channel` to update one message in place)');
      await sendWebhook(dest.webhookUrl, message, o);
      return { status: 'sent', mode: 'webhook', notes };
    }
    // A Slack setup problem, not a bad input: like Slack's own refusals it warns unless fail-on-error.
    if (!dest.channel) throw new FerryError(problem('FERRY_SLACK_CHANNEL', 'a bot token was given without `channel`', { hint: 'Pass the channel id (e.g. C0123ABCD), or the `channel` output of the notify-slack step that posted the message.' }));
    if (dest.webhookUrl) notes.push('both token and webhook-url are set: using the token (bot mode), which can update the message in place');
    const target = { token: dest.token, channel: dest.channel, apiUrl: dest.apiUrl };
    if (dest.ts) {
      try {
        const r = await updateMessage(target, dest.ts, message, o);
        return { status: 'updated', mode: 'bot', ...r, notes };
      } catch (e) {
        if (!isUpdateImpossible(e)) throw e;
        notes.push(`${(e as SlackError).problems[0]!.message}; posted a new message instead`);
      }
    }
    const r = await postMessage(target, message, o);
    return { status: 'sent', mode: 'bot', ...r, notes };
  }
  if (dest.webhookUrl) {
    if (dest.ts) notes.push('incoming webhooks cannot update a message: `ts` is ignored and a new message is posted (use `token` and `channel` to update in place)');
    await sendWebhook(dest.webhookUrl, message, o);
    return { status: 'sent', mode: 'webhook', notes };
  }
  return fail('FERRY_INPUT', 'no Slack destination: give `webhook-url`, or `token` and `channel`');
}
