import { durationMs, type StoredRelease } from '@ferry/core';
import { connectAirflow, type AirflowClient, type DagInfo } from '@ferry/airflow';
import { bundleSource } from '@ferry/kinds';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckResult } from '../types.js';
import { timed, type CheckInput } from './context.js';

const ACTIVE = new Set(['queued', 'running', 'restarting', 'up_for_retry', 'scheduled']);

/**
 * `smoke.airflow`: no import errors for the release's DAG files; the listed
 * DAGs present, active, not paused (with `active`), parsed at the release's
 * version (the source Airflow stored equals the release's file); optionally a
 * smoke DAG run that must succeed within its timeout.
 */
export async function airflowChecks(input: CheckInput): Promise<CheckResult[]> {
  const cfg = input.env.smoke.airflow;
  if (!cfg) return [];
  const af = input.env.airflow;
  if (!af) return [{ group: 'airflow', name: 'airflow', ok: false, detail: `smoke.airflow needs environments[${input.env.name}].airflow (url and auth)`, durationMs: 0 }];
  let client!: AirflowClient;
  const connect = await timed('airflow', 'connect', input, async () => {
    client = await connectAirflow(af, { secret: (n) => input.ctx.secret(n), runner: input.ctx.runner, fetch: input.ctx.smokeRuntime?.fetch, sleep: input.sleep, now: input.now });
    const v = await client.version();
    return { ok: true, detail: `Airflow ${v.version} (REST API ${client.api})` };
  });
  if (!connect.ok) return [connect];
  const out: CheckResult[] = [connect];
  const files = dagFiles(input.release);
  out.push(
    await timed('airflow', 'import errors', input, async () => {
      const errors = await client.listImportErrors((f) => files.some((p) => f === p || f.endsWith(`/${p}`)));
      if (errors.length === 0) return { ok: true, detail: `none in the release's ${files.length} DAG file(s)` };
      return { ok: false, detail: errors.map((e) => `${e.filename}: ${e.stackTrace.trim().split('\n').at(-1) ?? ''}`).join('; ') };
    }),
  );
  const sources = cfg.dags.length ? await releaseSources(input.release, files) : new Map<string, string>();
  for (const dagId of cfg.dags) {
    out.push(
      await timed('airflow', `DAG ${dagId}`, input, async () => {
        const info = await client.getDag(dagId);
        if (!info) return { ok: false, detail: `Airflow does not know DAG ${dagId}` };
        const problems: string[] = [];
        if (!info.active) problems.push('not active (its file is gone or no longer defines it)');
        if (cfg.active && info.isPaused) problems.push('paused');
        if (info.hasImportErrors) problems.push('has import errors');
        const version = await atReleaseVersion(client, info, sources);
        if (version === false) problems.push(`not parsed at release ${input.release.manifest.version} (Airflow's source differs from the release's file)`);
        if (problems.length) return { ok: false, detail: problems.join('; ') };
        return { ok: true, detail: `active${cfg.active ? ', unpaused' : ''}${version === true ? `, at release ${input.release.manifest.version}` : " (version not compared: Airflow does not show the source, or the file is not the release's)"}` };
      }),
    );
  }
  if (cfg.run) {
    const run = cfg.run;
    out.push(
      await timed('airflow', `run ${run.dag}`, input, async () => {
        const started = new Date(input.now());
        const runId = `ferry_smoke__${started.toISOString()}`;
        const t = await client.triggerDagRun(run.dag, { logicalDate: started, runId, conf: run.conf });
        if (t === 'exists') return { ok: false, detail: `a run of ${run.dag} for ${started.toISOString()} already exists` };
        const deadline = input.now() + durationMs(run.timeout);
        let state = t.state;
        while (ACTIVE.has(state)) {
          if (input.now() >= deadline) return { ok: false, detail: `run ${runId} still ${state} after ${run.timeout}` };
          await input.sleep(Math.min(10_000, Math.max(1_000, durationMs(run.timeout) / 60)));
          state = (await client.getDagRun(run.dag, runId))?.state ?? 'missing';
        }
        return state === 'success' ? { ok: true, detail: `run ${runId} succeeded` } : { ok: false, detail: `run ${runId} ended ${state}` };
      }),
    );
  }
  return out;
}

function dagFiles(release: StoredRelease): string[] {
  const a = release.manifest.artifacts.find((x) => x.kind === 'dags');
  return (a?.files ?? []).map((f) => f.path).filter((p) => p.endsWith('.py'));
}

async function releaseSources(release: StoredRelease, files: string[]): Promise<Map<string, string>> {
  const a = release.manifest.artifacts.find((x) => x.kind === 'dags');
  if (!a || files.length === 0) return new Map();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-smoke-dags-'));
  try {
    await bundleSource(path.join(release.dir, a.bundle?.path ?? 'dags.tar.gz'), a.files).extract(files, tmp);
    return new Map(files.map((f) => [f, fs.readFileSync(path.join(tmp, f), 'utf8')]));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** true / false when compared; undefined when Airflow does not show the source or the file is not the release's. */
async function atReleaseVersion(client: AirflowClient, info: DagInfo, sources: Map<string, string>): Promise<boolean | undefined> {
  const loc = info.relativeFileloc ?? info.fileloc;
  let best: string | undefined;
  for (const f of sources.keys()) if ((loc === f || loc.endsWith(`/${f}`)) && (!best || f.length > best.length)) best = f;
  if (!best) return undefined;
  const source = await client.getDagSource(info);
  if (source === undefined) return undefined;
  const norm = (s: string) => s.replace(/\r\n?/g, '\n');
  return norm(source) === norm(sources.get(best)!);
}
