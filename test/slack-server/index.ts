/**
 * A local Slack: the Web API methods chat.postMessage and chat.update and
 * incoming webhooks, answering as Slack documents them
 * (docs.slack.dev/reference/methods/chat.postMessage, …/chat.update,
 * …/messaging/sending-messages-using-incoming-webhooks, the 2016 changelog
 * "Improving error conditions for Incoming Webhooks", and the rate-limit page),
 * keeping every message with the history of its updates for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateMessage } from './validate.js';

export interface StoredMessage {
  channel: string;
  ts: string;
  via: 'webhook' | 'api';
  text?: string;
  blocks?: unknown[];
  /** Every earlier version, oldest first (chat.update pushes the replaced one here). */
  history: { text?: string; blocks?: unknown[] }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Web API method or 'webhook'. */
  endpoint: string;
  contentType: string;
  status: number;
  /** Slack's error code when refused ('ok' for webhooks that worked). */
  error?: string;
}

export interface Failure {
  status: number;
  /** Seconds, sent as Retry-After (429). */
  retryAfter?: number;
  /** The error code: `{ok:false,error}` for the Web API, the plain-text body for webhooks. */
  error?: string;
}

export interface SlackServerOptions {
  port?: number;
  /** Bot token accepted by the Web API (default xoxb-ferry-test-token). */
  token?: string;
  /** Channel id → name; the bot is a member of all unless listed in `notMemberOf`. */
  channels?: Record<string, string>;
  notMemberOf?: string[];
  /** Channels that are archived (`is_archived` / webhook `channel_is_archived`). */
  archived?: string[];
}

export interface SlackServer {
  /** Web API base URL, ending in `/api/` (notify-slack `api-url`). */
  url: string;
  /** Incoming webhook URL posting to the first channel. */
  webhookUrl: string;
  /** A webhook URL for a given channel id. */
  webhookFor(channel: string): string;
  /** A webhook URL Slack no longer knows (answers 404 no_service). */
  revokedWebhookUrl: string;
  token: string;
  /** Every message, in posting order. */
  messages: StoredMessage[];
  requests: RecordedRequest[];
  /** Requests that broke Slack's argument rules (a test of ferry should expect none). */
  violations: { endpoint: string; error: string; detail: string }[];
  /** The next `n` requests (any endpoint) fail like this. */
  failNext(n: number, failure: Failure): void;
  close(): Promise<void>;
}

const DEFAULT_CHANNELS = { C0DEPLOYS: 'deploys', C0OTHER: 'other', C0NOBOT: 'no-bot' };

export async function startSlackServer(opts: SlackServerOptions = {}): Promise<SlackServer> {
  const token = opts.token ?? 'xoxb-ferry-test-token';
  const channels: Record<string, string> = opts.channels ?? DEFAULT_CHANNELS;
  const notMember = new Set(opts.notMemberOf ?? (opts.channels ? [] : ['C0NOBOT']));
  const archived = new Set(opts.archived ?? []);
  const hooks = new Map<string, string>(); // path → channel id
  const messages: StoredMessage[] = [];
  const requests: RecordedRequest[] = [];
  const violations: SlackServer['violations'] = [];
  const failures: Failure[] = [];
  let clock = 1_700_000_000;
  let seq = 0;
  const nextTs = () => `${clock + Math.floor(seq / 1000)}.${String(++seq % 1_000_000).padStart(6, '0')}`;

  const resolveChannel = (c: string): string | undefined => {
    if (channels[c]) return c;
    const name = c.replace(/^#/, '');
    return Object.keys(channels).find((id) => channels[id] === name);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const contentType = String(req.headers['content-type'] ?? '');
      const endpoint = path.startsWith('/api/') ? path.slice(5) : path.startsWith('/services/') ? 'webhook' : 'unknown';
      const rec: RecordedRequest = { method: req.method ?? '', path: endpoint === 'webhook' ? '/services/…' : path, endpoint, contentType, status: 0 };
      requests.push(rec);
      const send = (status: number, payload: string | object, headers: Record<string, string> = {}) => {
        rec.status = status;
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/html' : 'application/json; charset=utf-8', ...headers });
        res.end(text);
      };
      const apiError = (error: string, status = 200, headers: Record<string, string> = {}) => {
        rec.error = error;
        send(status, { ok: false, error }, headers);
      };
      const hookError = (status: number, error: string, headers: Record<string, string> = {}) => {
        rec.error = error;
        send(status, error, headers);
      };

      if (req.method !== 'POST') return endpoint === 'webhook' ? hookError(405, 'invalid_method') : apiError('method_not_supported_for_channel_type');

      const failure = failures.shift();
      if (failure) {
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
        if (endpoint === 'webhook') return hookError(failure.status, failure.error ?? (failure.status === 429 ? 'rate_limited' : failure.status >= 500 ? 'rollup_error' : 'invalid_payload'), headers);
        return apiError(failure.error ?? (failure.status === 429 ? 'ratelimited' : 'internal_error'), failure.status, headers);
      }

      if (endpoint === 'webhook') {
        const channel = hooks.get(path);
        if (!channel) return hookError(404, 'no_service');
        if (!/^application\/json/i.test(contentType)) return hookError(400, 'invalid_payload');
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(body) as Record<string, unknown>;
          if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('not an object');
        } catch {
          return hookError(400, 'invalid_payload');
        }
        const bad = validateMessage(payload, 'webhook');
        if (bad) {
          violations.push({ endpoint, ...bad });
          return hookError(400, bad.error);
        }
        if (archived.has(channel)) return hookError(410, 'channel_is_archived');
        messages.push({ channel, ts: nextTs(), via: 'webhook', text: payload.text as string | undefined, blocks: payload.blocks as unknown[] | undefined, history: [] });
        rec.error = 'ok';
        return send(200, 'ok');
      }

      if (endpoint !== 'chat.postMessage' && endpoint !== 'chat.update') return apiError('unknown_method', 404);
      // Arguments: a JSON body (token only in the Authorization header) or a form body (token may be a field).
      let args: Record<string, unknown>;
      let auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (/^application\/json/i.test(contentType)) {
        try {
          args = JSON.parse(body) as Record<string, unknown>;
        } catch {
          return apiError('invalid_json');
        }
        if (!args || typeof args !== 'object' || Array.isArray(args)) return apiError('json_not_object');
      } else if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
        const form = new URLSearchParams(body);
        args = Object.fromEntries(form.entries());
        auth ??= form.get('token') ?? undefined;
        if (typeof args.blocks === 'string') {
          try {
            args.blocks = JSON.parse(args.blocks);
          } catch {
            return apiError('invalid_blocks_format');
          }
        }
      } else {
        return apiError('invalid_form_data');
      }
      if (!auth) return apiError('not_authed');
      if (auth !== token) return apiError('invalid_auth');

      const channel = typeof args.channel === 'string' ? resolveChannel(args.channel) : undefined;
      if (!args.channel) {
        violations.push({ endpoint, error: 'channel_not_found', detail: 'channel is required' });
        return apiError('channel_not_found');
      }
      if (!channel) return apiError('channel_not_found');
      if (endpoint === 'chat.update' && typeof args.ts !== 'string') {
        violations.push({ endpoint, error: 'message_not_found', detail: 'ts is required (a string)' });
        return apiError('message_not_found');
      }
      const bad = validateMessage(args, endpoint);
      if (bad) {
        violations.push({ endpoint, ...bad });
        return apiError(bad.error);
      }
      if (archived.has(channel)) return apiError('is_archived');
      if (notMember.has(channel)) return apiError('not_in_channel');

      const text = args.text as string | undefined;
      const blocks = args.blocks as unknown[] | undefined;
      if (endpoint === 'chat.postMessage') {
        const m: StoredMessage = { channel, ts: nextTs(), via: 'api', text, blocks, history: [] };
        messages.push(m);
        return send(200, { ok: true, channel, ts: m.ts, message: { type: 'message', subtype: 'bot_message', text: text ?? '', ts: m.ts, blocks: blocks ?? [] } });
      }
      const m = messages.find((x) => x.channel === channel && x.ts === args.ts);
      if (!m) return apiError('message_not_found');
      if (m.via !== 'api') return apiError('cant_update_message');
      m.history.push({ text: m.text, blocks: m.blocks });
      // chat.update: text replaces text; blocks left out keep the previous blocks.
      if (text !== undefined) m.text = text;
      if (blocks !== undefined) m.blocks = blocks;
      return send(200, { ok: true, channel, ts: m.ts, text: m.text ?? '', message: { text: m.text ?? '', blocks: m.blocks ?? [] } });
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhookFor = (channel: string) => {
    if (!channels[channel]) throw new Error(`no channel ${channel}`);
    const p = `/services/T0FERRY/B0${channel}/${'x'.repeat(8)}${hooks.size}${channel.toLowerCase()}`;
    hooks.set(p, channel);
    return base + p;
  };
  const first = Object.keys(channels)[0]!;
  return {
    url: `${base}/api/`,
    webhookUrl: webhookFor(first),
    webhookFor,
    revokedWebhookUrl: `${base}/services/T0FERRY/B0GONE/revoked`,
    token,
    messages,
    requests,
    violations,
    failNext(n, failure) {
      for (let i = 0; i < n; i++) failures.push(failure);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
