import { runAction } from '@ferry/actions-runner';
import { ERROR_CODES, FerryError } from '@ferry/core';
import { buildMessage, sendMessage } from '@ferry/slack';
import { readSettings } from './settings.js';

await runAction('notify-slack', async (runner) => {
  const s = readSettings(runner);
  const outputs = (status: string, ts = '', channel = '') => {
    runner.setOutput('status', status);
    runner.setOutput('ts', ts);
    runner.setOutput('channel', channel);
  };
  if (!s.dest.webhookUrl && !s.dest.token) {
    runner.annotate({ level: 'notice', title: 'notify-slack', message: 'no webhook-url or token given: no Slack message sent' });
    return outputs('skipped', s.dest.ts, s.dest.channel);
  }
  const message = buildMessage(s.notification);
  try {
    const r = await sendMessage(s.dest, message, { onRetry: ({ attempt, waitMs, reason }) => runner.info(`Slack: ${reason}; retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`) });
    for (const note of r.notes) runner.warning(note);
    outputs(r.status, r.ts, r.channel);
    runner.info(`Slack: ${s.notification.event} message ${r.status}${r.mode === 'bot' ? ` (channel ${r.channel}, ts ${r.ts})` : ' through the incoming webhook'}`);
  } catch (e) {
    // Bad inputs fail the step; Slack's refusals and outages only warn, unless fail-on-error.
    if (!(e instanceof FerryError) || e.code === 'FERRY_INPUT') throw e;
    // Keep the hand-over: a later step can still update the pipeline's message.
    outputs('failed', s.dest.ts, s.dest.channel);
    if (s.failOnError) throw e;
    for (const p of e.problems) runner.annotate({ level: 'warning', title: p.code, message: `${p.message}\nfix: ${p.hint ?? ERROR_CODES[p.code]}` });
    runner.appendSummary(`### ferry: Slack message not sent\n\n\`${e.code}\`: ${e.problems[0]!.message}\n\nThe deployment is not affected (fail-on-error is false).\n`);
  }
});
