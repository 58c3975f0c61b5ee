import type { ApprovalRecord, DeploymentRecord, Ledger, StartDeployment } from '@ferry/core';
import { githubError, runUrl, type GitHubClient, type GitHubContext } from '@ferry/github';
import { foldEvents, type EventEntry, type LedgerEvent, type RecordBase } from './events.js';

/** What ferry stores in a deployment's payload. */
interface FerryPayload {
  releaseId: string;
  version: string;
  manifestDigest: string;
  rollbackOf?: string;
  /** The release's own commit and ref: the deployment's ref is the commit, so the ref is kept here. */
  commit?: string;
  ref?: string;
  /** Who approved the deploy (require-approval), with any freeze override. */
  approval?: ApprovalRecord;
}

// Every status ferry writes starts with one of these; statuses GitHub writes
// itself (job start/end on an `environment:` job, auto-inactive) are ignored.
const TAG = { progress: '[ferry]', verified: '[ferry:verified]', verifyFailed: '[ferry:verify-failed]', approval: '[ferry:approval]' };
// `[ferry:approval] <mode> <env> <release> <login,login>[ override <reason>]`: the approval of a reused deployment (whose payload GitHub set).
const APPROVAL = /^\[ferry:approval\] (environment|comment|cli) (\S+) ([0-9a-f]{12,64}) (\S+)(?: override (.*))?$/;
const ENCODED = /\br=([0-9a-f]{64})(?: rb=([0-9a-f]{7,64}))?(?: v=(\S+))?/;

type Deployment = Awaited<ReturnType<GitHubClient['rest']['repos']['listDeployments']>>['data'][number];
type Status = Awaited<ReturnType<GitHubClient['rest']['repos']['listDeploymentStatuses']>>['data'][number];

export interface GitHubLedgerOptions {
  /**
   * Reuse the deployment GitHub creates for a job that runs under
   * `environment:` (found by this run's id) instead of creating a second one.
   */
  reuseRunDeployment?: boolean;
}

/**
 * The ledger on GitHub: one GitHub Deployment per promotion, its statuses
 * the events (in_progress → success/failure, then [ferry:verified]).
 */
export class GitHubLedger implements Ledger {
  readonly description: string;
  /** environment_url of deployments started here, repeated on every status (GitHub shows the latest status's). */
  private readonly environmentUrls = new Map<string, string | undefined>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly ctx: GitHubContext,
    private readonly opts: GitHubLedgerOptions = {},
  ) {
    this.description = `github:${ctx.owner}/${ctx.repo}`;
  }

  private get repo() {
    return { owner: this.ctx.owner, repo: this.ctx.repo };
  }

  async start(input: StartDeployment): Promise<DeploymentRecord> {
    const payload: FerryPayload = { releaseId: input.releaseId, version: input.version, manifestDigest: input.manifestDigest, commit: input.commit, ref: input.ref, ...(input.rollbackOf ? { rollbackOf: input.rollbackOf } : {}), ...(input.approval ? { approval: input.approval } : {}) };
    let d = this.opts.reuseRunDeployment ? await this.findRunDeployment(input) : undefined;
    const reused = Boolean(d);
    if (!d) {
      try {
        const res = await this.gh.rest.repos.createDeployment({
          ...this.repo,
          ref: input.commit,
          environment: input.environment,
          task: 'deploy',
          auto_merge: false,
          required_contexts: [],
          payload: { ferry: payload } as unknown as Record<string, never>,
          description: clip(input.description),
          production_environment: input.production,
          transient_environment: false,
        });
        d = res.data as Deployment;
      } catch (e) {
        throw githubError(`creating a deployment to ${input.environment}`, e);
      }
    }
    // The release is also written into the first status, so a reused deployment (whose payload GitHub set) still names it.
    // The version goes last and only when it fits GitHub's 140 characters whole: a cut version would read back wrong.
    const encoded = `${TAG.progress} r=${input.releaseId}${input.rollbackOf ? ` rb=${input.rollbackOf.slice(0, 12)}` : ''}`;
    const withVersion = `${encoded} v=${input.version}`;
    this.environmentUrls.set(String(d.id), input.environmentUrl);
    await this.status(String(d.id), 'in_progress', withVersion.length <= 140 ? withVersion : encoded);
    // A reused deployment's payload is GitHub's: the approval goes into a status of its own (logins, and the override reason as far as it fits).
    if (reused && input.approval) await this.status(String(d.id), 'in_progress', approvalStatus(input.approval));
    return this.toRecord(d, [{ event: 'in_progress', at: new Date().toISOString() }], payload);
  }

  async finish(id: string, outcome: 'success' | 'failure', description: string): Promise<void> {
    await this.status(id, outcome, `${TAG.progress} ${description}`);
  }

  async verify(id: string, result: 'verified' | 'failed', description: string): Promise<void> {
    await this.status(id, result === 'verified' ? 'success' : 'failure', `${result === 'verified' ? TAG.verified : TAG.verifyFailed} ${description}`);
  }

  async *records(environment: string): AsyncIterable<DeploymentRecord> {
    const pages = this.gh.paginate.iterator(this.gh.rest.repos.listDeployments, { ...this.repo, environment, per_page: 100 });
    try {
      for await (const page of pages) {
        for (const d of page.data) {
          const statuses = await this.gh.paginate(this.gh.rest.repos.listDeploymentStatuses, { ...this.repo, deployment_id: d.id, per_page: 100 });
          const record = this.parse(d, statuses);
          if (record) yield record;
        }
      }
    } catch (e) {
      throw githubError(`reading deployments of ${environment}`, e);
    }
  }

  private parse(d: Deployment, statuses: Status[]): DeploymentRecord | undefined {
    // GitHub lists statuses newest first with one-second timestamps; fold them
    // oldest first by id, or a start and finish in the same second fold backwards.
    const ferryStatuses = statuses.filter((s) => s.description?.startsWith('[ferry')).sort((a, b) => a.id - b.id);
    let payload = (d.payload as { ferry?: FerryPayload } | null)?.ferry;
    if (!payload) {
      // A reused deployment: the release is encoded in ferry's first status.
      const m = ferryStatuses.map((s) => ENCODED.exec(s.description ?? '')).find(Boolean);
      if (!m) return undefined;
      payload = { releaseId: m[1]!, version: m[3] ?? '?', manifestDigest: '', ...(m[2] ? { rollbackOf: m[2] } : {}) };
    }
    if (!payload.approval) {
      const s = ferryStatuses.find((x) => x.description?.startsWith(TAG.approval));
      const approval = s && parseApprovalStatus(s.description ?? '', s.created_at);
      if (approval) payload = { ...payload, approval };
    }
    const events: EventEntry[] = ferryStatuses.flatMap((s) => {
      const ev = eventOf(s);
      return ev ? [{ event: ev, at: s.created_at, description: s.description ?? '' }] : [];
    });
    return this.toRecord(d, events, payload, ferryStatuses[0]?.log_url ?? undefined);
  }

  private toRecord(d: Deployment, events: EventEntry[], p: FerryPayload, logUrl?: string): DeploymentRecord {
    const base: RecordBase = {
      id: String(d.id),
      environment: d.environment,
      releaseId: p.releaseId,
      version: p.version,
      commit: p.commit ?? d.sha,
      ref: p.ref ?? d.ref,
      createdAt: d.created_at,
      creator: d.creator?.login ?? 'unknown',
      ...(p.rollbackOf ? { rollbackOf: p.rollbackOf } : {}),
      ...(logUrl ? { logUrl } : {}),
      ...(p.approval ? { approval: p.approval } : {}),
    };
    return foldEvents(base, events);
  }

  /** The deployment GitHub made for this job's `environment:`: same sha and environment, a status pointing at this run, not yet used by ferry. */
  private async findRunDeployment(input: StartDeployment): Promise<Deployment | undefined> {
    if (!this.ctx.runId) return undefined;
    const marker = `/actions/runs/${this.ctx.runId}/`;
    const { data } = await this.gh.rest.repos.listDeployments({ ...this.repo, environment: input.environment, sha: this.ctx.sha ?? input.commit, per_page: 30 }).catch((e) => {
      throw githubError('looking for the deployment of this run', e);
    });
    for (const d of data) {
      const { data: statuses } = await this.gh.rest.repos.listDeploymentStatuses({ ...this.repo, deployment_id: d.id, per_page: 30 });
      // Already claimed by an earlier ferry step of this job: that record stays that release's.
      if (statuses.some((s) => s.description?.startsWith('[ferry'))) continue;
      if (statuses.some((s) => `${s.log_url ?? ''} ${s.target_url ?? ''}`.includes(marker))) return d;
    }
    return undefined;
  }

  private async status(id: string, state: 'in_progress' | 'success' | 'failure', description: string): Promise<void> {
    const environmentUrl = this.environmentUrls.get(id);
    try {
      await this.gh.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: Number(id),
        state,
        description: clip(description),
        ...(runUrl(this.ctx) ? { log_url: runUrl(this.ctx) } : {}),
        ...(environmentUrl ? { environment_url: environmentUrl } : {}),
        auto_inactive: state === 'success',
      });
    } catch (e) {
      throw githubError(`recording ${state} on deployment ${id}`, e);
    }
  }
}

function approvalStatus(a: ApprovalRecord): string {
  return `${TAG.approval} ${a.mode} ${a.environment} ${a.releaseId.slice(0, 12)} ${a.approvers.map((x) => x.login).join(',') || '-'}${a.override ? ` override ${a.override.reason}` : ''}`;
}

function parseApprovalStatus(description: string, at: string): ApprovalRecord | undefined {
  const m = APPROVAL.exec(description.replace(/\.\.\.$/, ''));
  if (!m) return undefined;
  const approvers = m[4] === '-' ? [] : m[4]!.split(',').map((login) => ({ login, at }));
  return { mode: m[1] as ApprovalRecord['mode'], environment: m[2]!, releaseId: m[3]!, approvers, ...(m[5] ? { override: { window: '', reason: m[5] } } : {}) };
}

function eventOf(s: Status): LedgerEvent | undefined {
  const d = s.description ?? '';
  if (d.startsWith(TAG.approval)) return undefined;
  if (d.startsWith(TAG.verified)) return 'verified';
  if (d.startsWith(TAG.verifyFailed)) return 'verify_failed';
  if (s.state === 'success') return 'success';
  if (s.state === 'failure' || s.state === 'error') return 'failure';
  if (s.state === 'in_progress' || s.state === 'queued' || s.state === 'pending') return 'in_progress';
  return undefined; // inactive: GitHub retiring older deployments, not an outcome
}

/** GitHub limits descriptions to 140 characters. */
function clip(s: string): string {
  return s.length > 140 ? s.slice(0, 137) + '...' : s;
}
