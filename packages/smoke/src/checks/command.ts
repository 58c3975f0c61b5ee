import { durationMs, runTool, ToolMissing } from '@ferry/core';
import type { CheckResult } from '../types.js';
import { timed, type CheckInput } from './context.js';

/** `smoke.command`: argv run in the folder holding ferry.yml (never through a shell); exit code 0 passes. */
export async function commandChecks(input: CheckInput): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of input.env.smoke.command) {
    out.push(
      await timed('command', c.name, input, async () => {
        const timeoutMs = durationMs(c.timeout);
        try {
          const r = await runTool(c.run, { cwd: input.ctx.config.root, timeoutSeconds: timeoutMs / 1000, env: { FERRY_ENVIRONMENT: input.env.name, FERRY_RELEASE_ID: input.release.manifest.id, FERRY_VERSION: input.release.manifest.version } });
          if (r.code === 0) return { ok: true, detail: `${c.run[0]} exited with 0` };
          const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ').slice(0, 400);
          return { ok: false, detail: `${c.run[0]} exited with ${r.code}${tail ? `: ${tail}` : ''}` };
        } catch (e) {
          if (e instanceof ToolMissing) return { ok: false, detail: `${e.command} is not installed (not found on PATH)` };
          return { ok: false, detail: /did not finish/.test((e as Error).message) ? `${c.run[0]} did not finish within ${c.timeout} and was stopped` : (e as Error).message };
        }
      }),
    );
  }
  return out;
}
