import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagBackfill, KindContext, KindPlan, ReleaseArtifact, StoredRelease } from '@ferry/core';
import { bundleSource } from '../../shared/bundle.js';
import { dagBackfills, describeBackfill } from './backfill.js';
import { collectFacts, PythonMissing } from './dag-facts.js';

const escape = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Adds DAG backfills to a DAG plan: the changed .py files of both releases
 * are read from their bundles into a temporary folder and parsed by the facts
 * helper (one python3 process, nothing imported or run); `dagBackfills`
 * compares them. Each DAG file change with a backfill (or one that cannot be
 * told) gets `backfill`, and every finding becomes a note. Never fails the
 * plan: without python3, or with an unreadable bundle, a note says the
 * ranges were not computed.
 *
 * `now` bounds the ranges that run up to the present; the DAG kind passes
 * the start of the current UTC hour, so re-planning within the hour gives
 * the same plan (and plan digest).
 */
export async function addDagBackfills(
  ctx: KindContext,
  kp: KindPlan,
  input: { bundle: string; release: StoredRelease; artifact: ReleaseArtifact; previousRelease: StoredRelease; previous: ReleaseArtifact },
  now: Date,
): Promise<void> {
  const changed = kp.changes.filter((c) => c.path.endsWith('.py') && c.action !== 'noop');
  if (changed.length === 0) return;
  const nextPaths = changed.filter((c) => c.action !== 'delete').map((c) => c.path);
  const prevPaths = changed.filter((c) => c.action !== 'create').map((c) => c.path);
  const python = ctx.config.checks.dags.python;
  const nextBundle = path.join(input.release.dir, input.bundle);
  const prevBundle = path.join(input.previousRelease.dir, input.bundle);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-dag-backfill-'));
  try {
    const prevDir = path.join(tmp, 'previous');
    const nextDir = path.join(tmp, 'next');
    if (prevPaths.length && !fs.existsSync(prevBundle)) throw new Error(`the previous release ${input.previousRelease.manifest.id.slice(0, 12)} has no ${input.bundle}`);
    // Both bundles at once: each read is mostly decompression.
    await Promise.all([
      prevPaths.length ? bundleSource(prevBundle, input.previous.files).extract(prevPaths, prevDir) : undefined,
      nextPaths.length ? bundleSource(nextBundle, input.artifact.files).extract(nextPaths, nextDir) : undefined,
    ]);
    const prevAbs = prevPaths.map((p) => path.join(prevDir, p));
    const nextAbs = nextPaths.map((p) => path.join(nextDir, p));
    const t0 = Date.now();
    const { facts, python: version } = await collectFacts(python, [...prevAbs, ...nextAbs], { tmpDir: tmp, cwd: tmp, timeoutSeconds: 300 });
    ctx.runner.debug(`dags: read schedules of ${changed.length} changed DAG files from both releases with ${python} (Python ${version}) in ${Date.now() - t0} ms`);
    // Findings name files as the plan does: relative to the DAG folder.
    const abs = [...prevAbs, ...nextAbs];
    const relative = [...prevPaths, ...nextPaths];
    const named = facts.map((f, i) => {
      if (f.file !== abs[i]) throw new Error(`the DAG parser answered for ${f.file} instead of ${abs[i]}`);
      return { ...f, file: relative[i]! };
    });
    const found = dagBackfills(named.slice(0, prevPaths.length), named.slice(prevPaths.length), now);

    const byFile = new Map<string, DagBackfill[]>();
    for (const b of found) byFile.set(b.file, [...(byFile.get(b.file) ?? []), b]);
    for (const c of changed) {
      const dags = byFile.get(c.path)?.filter((b) => b.rule !== 'no-backfill');
      if (dags?.length) c.backfill = { ...dags[0]!, dags };
    }
    for (const b of found) kp.notes.push(`backfill: ${describeBackfill(b)}`);
  } catch (e) {
    const why = e instanceof PythonMissing ? `${python} not found` : (e as Error).message;
    kp.notes.push(`backfill ranges not computed: ${why}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The DAG backfills of a plan, as a Markdown section ([] when there are none). */
export function dagBackfillMarkdown(kp: KindPlan): string[] {
  const all = kp.changes.flatMap((c) => c.backfill?.dags ?? []);
  if (all.length === 0) return [];
  const out = ['#### DAG backfills', '', '| DAG | file | runs | range (UTC) | reason |', '|---|---|---:|---|---|'];
  for (const b of all) {
    const runs = b.rule === 'unknown' ? '?' : b.runs === null ? '0' : `${b.runsCapped ? '> ' : ''}${b.runs.toLocaleString('en-US')}`;
    const range = b.from && b.to ? `${b.from} → ${b.to}${b.timezone ? ` (schedule in ${b.timezone})` : ''}` : b.rule === 'unknown' ? 'cannot be told statically' : '';
    out.push(`| ${b.dagId !== null ? `\`${escape(b.dagId)}\`` : `(line ${b.line ?? '?'})`} | \`${escape(b.file)}\` | ${runs} | ${range} | ${escape(b.reason)} |`);
  }
  out.push('', `Counted up to ${all[0]!.asOf}: a run per interval of the DAG's schedule that has ended by then.`);
  // Runbook: what to do when ferry does not run them (airflow.backfill.run off), and who can.
  const runnable = all.filter((b) => b.dagId && b.from && b.to && b.rule !== 'new-dag' && b.rule !== 'no-backfill' && b.rule !== 'unknown');
  if (runnable.length) {
    out.push(
      '',
      '<details><summary>Running these backfills by hand</summary>',
      '',
      'ferry runs them after the deploy when the environment sets `airflow.backfill.run: true`. Otherwise someone allowed to trigger DAG runs in the environment\'s Airflow runs:',
      '',
      '```sh',
      '# Airflow 3',
      ...runnable.map((b) => `airflow backfill create --dag-id ${b.dagId} --from-date ${b.from} --to-date ${b.to}`),
      '# Airflow 2',
      ...runnable.map((b) => `airflow dags backfill --start-date ${b.from} --end-date ${b.to} ${b.dagId}`),
      '```',
      '',
      '</details>',
    );
  }
  return out;
}
