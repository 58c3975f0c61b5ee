import { describe, expect, it } from '@jest/globals';
import { escapeText, plainText, safeText, truncateEscaped } from './escape.js';
import { buildMessage, EVENTS, LIMITS, type Block, type Notification } from './message.js';
import { planCounts } from './plan-summary.js';

const base: Notification = {
  event: 'started',
  environment: 'prod',
  releaseId: 'r-1a2b3c',
  version: '1.4.0',
  commit: '0123456789abcdef0123456789abcdef01234567',
  commitMessage: 'Fix "orders" DAG',
  actor: 'octocat',
  runUrl: 'https://github.com/acme/data/actions/runs/1000',
  repository: 'acme/data',
};

/** Every text the message shows, mrkdwn and plain_text alike. */
function texts(m: { text: string; blocks: Block[] }): string[] {
  const out = [m.text];
  for (const b of m.blocks) {
    if ('text' in b && b.text) out.push(b.text.text);
    if (b.type === 'section') for (const f of b.fields ?? []) out.push(f.text);
    if (b.type === 'context') for (const e of b.elements) out.push(e.text);
    if (b.type === 'actions') for (const e of b.elements) out.push(e.text.text);
  }
  return out;
}

describe('escaping user text', () => {
  it('escapes &, < and > (Slack control characters) so <!channel>, <@U…>, <!subteam^…> stay text', () => {
    expect(escapeText('a & b <!channel> <@U123> <!subteam^S1|x> <https://evil|click>')).toBe('a &amp; b &lt;!channel&gt; &lt;@U123&gt; &lt;!subteam^S1|x&gt; &lt;https://evil|click&gt;');
  });
  it('defuses literal @channel, @here, @everyone with an invisible word joiner', () => {
    const s = escapeText('ping @here and @channel, @Everyone; email me@here.com');
    expect(s).not.toMatch(/@(here|channel|everyone)\b/i);
    expect(s.replace(/\u2060/g, '')).toBe('ping @here and @channel, @Everyone; email me@here.com');
  });
  it('truncates without breaking an entity or a surrogate pair, and marks the cut', () => {
    const esc = escapeText('x'.repeat(8) + '&&&');
    for (let max = 5; max < esc.length; max++) {
      const t = truncateEscaped(esc, max);
      expect(t.length).toBeLessThanOrEqual(max);
      expect(t.endsWith('…')).toBe(true);
      expect(t.slice(0, -1)).toMatch(/^x*(&amp;)*$/);
    }
    const emoji = truncateEscaped('ab😀😀😀', 4);
    expect(emoji).toBe('ab…');
    expect(truncateEscaped('short', 10)).toBe('short');
  });
  it('plain_text (header, buttons) is not parsed by Slack: no escaping, but one line and cut', () => {
    expect(plainText('a & <b>\nc @here <!here>', 100)).toBe('a & <\u2060b> c @\u2060here <\u2060!here>');
    expect(plainText('y'.repeat(200), 150)).toHaveLength(150);
  });
});

describe('buildMessage', () => {
  it.each(EVENTS)('%s: header, fields, run button and context, all within Slack limits', (event) => {
    const m = buildMessage({ ...base, event, failedStep: 'deploy', mention: 'S0123ABC', reviewUrl: 'https://github.com/acme/data/actions/runs/1000' });
    expect(m.blocks[0]!.type).toBe('header');
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    const actions = m.blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements.map((e) => e.action_id)).toEqual(event === 'awaiting-approval' ? ['ferry-review', 'ferry-run'] : ['ferry-run']);
    const fields = m.blocks.find((b) => b.type === 'section' && b.fields);
    expect(fields?.type === 'section' && fields.fields!.map((f) => f.text.split('\n')[0])).toEqual(['*Environment*', '*Version*', '*Release*', '*Commit*', '*By*', ...(event === 'failed' ? ['*Failed step*'] : [])]);
    expect(JSON.stringify(m)).toContain('1.4.0');
  });

  it('mentions only for failed and rolled-back events and only through the mention input', () => {
    const failed = buildMessage({ ...base, event: 'failed', mention: 'S0123ABC', failedStep: 'apply' });
    expect(failed.text).toContain('<!subteam^S0123ABC>');
    expect(JSON.stringify(failed.blocks)).toContain('<!subteam^S0123ABC>');
    expect(buildMessage({ ...base, event: 'failed', mention: 'U0456DEF' }).text).toContain('<@U0456DEF>');
    expect(buildMessage({ ...base, event: 'rolled-back', mention: 'S0123ABC' }).text).toContain('<!subteam^S0123ABC>');
    const ok = buildMessage({ ...base, event: 'succeeded', mention: 'S0123ABC' });
    expect(JSON.stringify(ok)).not.toContain('subteam');
    expect(() => buildMessage({ ...base, event: 'failed', mention: '!channel' })).toThrow(/not a Slack user/);
  });

  it('no user text can mention: <!channel>, <!here>, <@U…>, @here in every field', () => {
    const evil = '"quoted" <!channel> <!here> <@U999> <!subteam^S9> @here @everyone & done\nsecond line';
    const m = buildMessage({ ...base, event: 'failed', environment: evil, version: evil, releaseId: evil, commitMessage: evil, actor: evil, summary: evil, failedStep: evil, repository: evil, plan: [{ kind: evil, create: 1, update: 0, delete: 0 }] });
    for (const t of texts(m)) {
      expect(t).not.toMatch(/<[!@]/);
      expect(t).not.toMatch(/@(here|channel|everyone)\b/);
    }
    expect(JSON.stringify(m)).toContain('&lt;!channel&gt;');
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('cuts long user text to the block limits', () => {
    const long = 'é<'.repeat(20_000);
    const m = buildMessage({ ...base, summary: long, commitMessage: long, environment: long, actor: long });
    const header = m.blocks[0]!;
    expect(header.type === 'header' && header.text.text.length).toBeLessThanOrEqual(LIMITS.header);
    for (const b of m.blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.section);
      if (b.type === 'section') for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.field);
    }
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.text);
  });

  it('titles say what happened, with or without a version', () => {
    const t = (n: Partial<Notification>) => buildMessage({ event: 'started', ...n }).text;
    expect(t({ version: '1.4.0', environment: 'prod' })).toBe(':large_blue_circle: Deploying 1.4.0 to prod');
    expect(t({ releaseId: 'r-1' })).toBe(':large_blue_circle: Deploying r-1');
    expect(t({})).toBe(':large_blue_circle: Deploy started');
    expect(t({ event: 'awaiting-approval', version: '1.4.0', environment: 'prod' })).toBe(':large_yellow_circle: Waiting for approval to deploy 1.4.0 to prod');
    expect(t({ event: 'succeeded', environment: 'dev' })).toBe(':large_green_circle: Deploy succeeded (dev)');
    expect(t({ event: 'failed', version: '1.4.0', environment: 'prod', failedStep: 'smoke' })).toBe(':red_circle: Deploy of 1.4.0 to prod failed (step: smoke)');
    expect(t({ event: 'rolled-back', version: '1.3.9', environment: 'prod' })).toBe(':large_purple_circle: Rolled back prod to 1.3.9');
  });

  it('links only http(s) URLs in buttons', () => {
    const m = buildMessage({ ...base, event: 'awaiting-approval', reviewUrl: 'javascript:alert(1)' });
    const a = m.blocks.find((b) => b.type === 'actions');
    expect(a?.type === 'actions' && a.elements.map((e) => e.url)).toEqual([base.runUrl]);
  });

  it('shows the plan as counts per kind', () => {
    const plan = planCounts({
      kinds: [
        { kind: 'dags', changes: [{ kind: 'dags', path: 'a.py', action: 'create', reason: '' }, { kind: 'dags', path: 'b.py', action: 'update', reason: '' }, { kind: 'dags', path: 'c.py', action: 'update', reason: '' }], unchanged: 4, notes: [] },
        { kind: 'dbt', changes: [{ kind: 'dbt', path: 'm.sql', action: 'delete', reason: '' }], unchanged: 0, notes: [] },
        { kind: 'configs', changes: [], unchanged: 3, notes: [] },
      ],
    });
    expect(plan).toEqual([{ kind: 'dags', create: 1, update: 2, delete: 0 }, { kind: 'dbt', create: 0, update: 0, delete: 1 }]);
    const m = buildMessage({ ...base, plan });
    expect(JSON.stringify(m.blocks)).toContain('dags: 1 new, 2 changed · dbt: 1 removed');
    expect(JSON.stringify(buildMessage({ ...base, plan: [] }).blocks)).toContain('no changes');
  });

  it('safeText is escape then cut', () => {
    expect(safeText('<'.repeat(10), 9)).toBe('&lt;&lt;…');
  });
});
