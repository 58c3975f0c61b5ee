import { durationMs } from '@ferry/core';
import type { CheckResult } from '../types.js';
import { timed, type CheckInput } from './context.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** `smoke.http`: status, body regular expression, latency bound; header values may be `${secret:NAME}`. */
export async function httpChecks(input: CheckInput): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const doFetch = input.ctx.smokeRuntime?.fetch ?? fetch;
  for (const [i, c] of input.env.smoke.http.entries()) {
    out.push(
      await timed('http', c.name, input, async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(c.headers ?? {})) headers[k] = input.secrets.resolve(v, `environments.${input.env.name}.smoke.http[${i}].headers.${k}`, { mask: true });
        const bound = c.max_latency ? durationMs(c.max_latency) : undefined;
        const t0 = performance.now();
        let res: Response;
        let body: string;
        try {
          res = await doFetch(c.url, { method: c.method, headers, redirect: 'follow', signal: AbortSignal.timeout(bound ?? DEFAULT_TIMEOUT_MS) });
          body = c.method === 'HEAD' ? '' : await res.text();
        } catch (e) {
          const err = e as Error;
          if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, detail: `no answer from ${c.method} ${c.url} within ${c.max_latency ?? '30s'}` };
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          return { ok: false, detail: `${c.method} ${c.url} failed: ${cause?.code ?? cause?.message ?? err.message}` };
        }
        const ms = Math.round(performance.now() - t0);
        const problems: string[] = [];
        if (res.status !== c.status) problems.push(`status ${res.status}, expected ${c.status}`);
        if (c.body !== undefined && !new RegExp(c.body).test(body)) problems.push(`body does not match /${c.body}/ (${JSON.stringify(body.slice(0, 120))})`);
        if (bound !== undefined && ms > bound) problems.push(`took ${ms} ms, more than ${c.max_latency}`);
        return problems.length ? { ok: false, detail: `${c.method} ${c.url}: ${problems.join('; ')}` } : { ok: true, detail: `${c.method} ${c.url}: ${res.status} in ${ms} ms` };
      }),
    );
  }
  return out;
}
