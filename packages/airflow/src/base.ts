import { FerryError, problem } from '@ferry/core';
import type { Auth } from './auth.js';
import { apiError, type Http, type Request, type Response } from './http.js';
import { ACTIVE_RUN_STATES, type AirflowApi, type BackfillOutcome, type BackfillRequest, type DagRunInfo } from './types.js';

/** Sends authenticated requests; `expect` lists the statuses the caller handles, anything else throws. */
export abstract class BaseClient {
  abstract readonly api: AirflowApi;

  constructor(
    protected readonly http: Http,
    protected readonly auth: Auth,
    /** Clock for pacing (ms since the epoch); tests pass a fake one with a fake sleep. */
    protected readonly now: () => number = Date.now,
  ) {}

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  protected async call<T>(req: Request, what: string, expect: number[]): Promise<Response<T>> {
    let res = await this.send<T>(req);
    // An expired token from /auth/token: get a new one, once.
    if (res.status === 401 && (await this.auth.renew())) res = await this.send<T>(req);
    if (expect.includes(res.status)) return res;
    throw apiError(req, res, what, this.http.baseUrl);
  }

  private async send<T>(req: Request): Promise<Response<T>> {
    const authorization = await this.auth.header();
    return this.http.send<T>({ ...req, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } });
  }

  abstract triggerDagRun(dagId: string, input: { logicalDate: Date; runId?: string; conf?: Record<string, unknown> }): Promise<DagRunInfo | 'exists'>;
  abstract getDagRun(dagId: string, runId: string): Promise<DagRunInfo | undefined>;

  /**
   * One run per logical date, oldest first, with at most `maxActiveRuns` of
   * them queued or running at once: a new run is triggered when one of ours
   * ends. Pacing needs ferry to wait; when the budget runs out, the runs
   * still to go are queued at once (Airflow then bounds them by the DAG's
   * own max_active_runs) and the outcome says so.
   */
  protected async pacedRuns(req: BackfillRequest): Promise<BackfillOutcome> {
    const now = this.now;
    const out: BackfillOutcome = { dagId: req.dagId, planned: req.logicalDates.length, created: 0, existing: 0, queuedUnpaced: 0, notes: [] };
    const pending = [...req.logicalDates];
    const active = new Set<string>();
    const deadline = now() + req.budgetMs;
    const trigger = async (date: Date): Promise<void> => {
      const run = await this.triggerDagRun(req.dagId, { logicalDate: date, runId: backfillRunId(date) });
      if (run === 'exists') out.existing++;
      else {
        out.created++;
        if (ACTIVE_RUN_STATES.has(run.state)) active.add(run.runId);
      }
    };
    while (pending.length > 0) {
      while (pending.length > 0 && active.size < req.maxActiveRuns) await trigger(pending.shift()!);
      if (pending.length === 0) break;
      if (now() + req.pollMs > deadline) {
        out.queuedUnpaced = pending.length;
        out.notes.push(
          `${pending.length} run(s) queued at once: pacing them ${req.maxActiveRuns} at a time would outlast the wait budget (${Math.round(req.budgetMs / 1000)} s); Airflow's max_active_runs for the DAG bounds them`,
        );
        for (const date of pending.splice(0)) await trigger(date);
        break;
      }
      await this.http.sleep(req.pollMs);
      for (const runId of [...active]) {
        const run = await this.getDagRun(req.dagId, runId);
        if (!run || !ACTIVE_RUN_STATES.has(run.state)) active.delete(runId);
      }
    }
    return out;
  }
}

/** Run ids ferry gives backfill runs (Airflow's own backfill runs are `backfill__<date>`). */
export function backfillRunId(date: Date): string {
  return `ferry_backfill__${date.toISOString()}`;
}

export function invalid(what: string, detail: string): FerryError {
  return new FerryError(problem('FERRY_AIRFLOW_API', `${what}: unexpected answer from Airflow (${detail})`));
}

export function pathPart(s: string): string {
  return encodeURIComponent(s);
}
