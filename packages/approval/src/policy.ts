import { ApprovalSchema, durationMs, problem, type ApprovalConfig, type Problem } from '@ferry/core';
import { githubError, type GitHubClient } from '@ferry/github';

/** One reviewer's answer, from a run review (environment mode) or a comment (comment mode). */
export interface Vote {
  login: string;
  decision: 'approve' | 'deny';
  at: string;
  /** The release id the vote names (comment mode); undefined in environment mode (the run is the release). */
  releaseRef?: string;
  reason?: string;
  url?: string;
  /** Comment mode: the commenter's association with the repository (OWNER, MEMBER, COLLABORATOR, …). */
  association?: string;
}

export interface Policy extends ApprovalConfig {
  timeoutMs: number;
}

/** ferry.yml's `approval:` with defaults; `requires_approval: true` alone means the defaults. */
export function policyOf(config: ApprovalConfig | undefined): Policy {
  const c = config ?? ApprovalSchema.parse({});
  return { ...c, timeoutMs: durationMs(c.timeout) };
}

export interface Verdict {
  status: 'approved' | 'denied' | 'waiting';
  /** Distinct counted approvers, first approval each. */
  approvers: { login: string; at: string; url?: string }[];
  deniedBy?: Vote;
  /** Votes that did not count, each with the code saying why. */
  ignored: Problem[];
}

/** Who counts as an approver: `allowed` logins and `@org/team` members (active), else anyone with write access. */
export class Allowed {
  private readonly cache = new Map<string, boolean>();
  constructor(
    private readonly allowed: readonly string[],
    private readonly gh?: GitHubClient,
    /** The repository whose write access "anyone" means (comment mode asks GitHub per commenter). */
    private readonly repo?: { owner: string; repo: string },
  ) {}

  get anyone(): boolean {
    return this.allowed.length === 0;
  }

  /** For the runbook: who may approve. */
  describe(): string {
    return this.anyone ? 'anyone with write access to the repository' : this.allowed.map((a) => (a.startsWith('@') ? `members of ${a}` : `@${a}`)).join(', ');
  }

  async has(vote: Pick<Vote, 'login' | 'association'>): Promise<boolean> {
    const login = vote.login.toLowerCase();
    // Environment-mode reviews (no association) were already let through by GitHub's required reviewers.
    if (this.anyone) return vote.association === undefined || (await this.canWrite(login, vote.association));
    if (this.allowed.some((a) => !a.startsWith('@') && a.toLowerCase() === login)) return true;
    for (const team of this.allowed.filter((a) => a.startsWith('@'))) {
      if (await this.inTeam(team, login)) return true;
    }
    return false;
  }

  /**
   * Write access (admin, maintain or write) to the repository, asked of GitHub
   * (GET /repos/{owner}/{repo}/collaborators/{username}/permission): an
   * organisation MEMBER may only read it. Without a client, the comment's
   * author_association stands in.
   */
  private async canWrite(login: string, association: string): Promise<boolean> {
    if (!this.gh || !this.repo) return ['OWNER', 'MEMBER', 'COLLABORATOR'].includes(association);
    const key = `write ${login}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let write = false;
    try {
      const { data } = await this.gh.rest.repos.getCollaboratorPermissionLevel({ ...this.repo, username: login });
      write = data.permission === 'admin' || data.permission === 'write';
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw githubError(`checking whether ${login} may write to ${this.repo.owner}/${this.repo.repo}`, e);
    }
    this.cache.set(key, write);
    return write;
  }

  private async inTeam(team: string, login: string): Promise<boolean> {
    const key = `${team.toLowerCase()} ${login}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const [org, slug] = team.slice(1).split('/');
    if (!org || !slug || !this.gh) return false;
    let member = false;
    try {
      const { data } = await this.gh.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: login });
      member = data.state === 'active';
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw githubError(`checking whether ${login} is in ${team}`, e);
    }
    this.cache.set(key, member);
    return member;
  }
}

const short = (id: string) => id.slice(0, 12);

/**
 * Counts votes: a denial by an allowed, non-self reviewer denies; approvals
 * count once per login, only from allowed users who are not the release's
 * author or the run's actor (unless allowed), and only when they name this
 * release. Enough of them approve; fewer leave the gate waiting.
 */
export async function judge(votes: readonly Vote[], opts: { policy: Policy; allowed: Allowed; self: ReadonlySet<string>; releaseId: string; environment: string }): Promise<Verdict> {
  const { policy, allowed, self, releaseId, environment } = opts;
  const ignored: Problem[] = [];
  const approvers = new Map<string, { login: string; at: string; url?: string }>();
  for (const v of votes) {
    const login = v.login.toLowerCase();
    const what = v.decision === 'approve' ? 'approval' : 'denial';
    if (v.releaseRef !== undefined && (v.releaseRef.length < 12 || !releaseId.startsWith(v.releaseRef.toLowerCase()))) {
      ignored.push(problem('FERRY_APPROVAL_OTHER_RELEASE', `${v.login}'s ${what} names release ${v.releaseRef ? short(v.releaseRef) : '(none)'}, not ${short(releaseId)}, so it does not count`, { hint: `Answer \`/${v.decision} ${short(releaseId)}\` (the id of the release to deploy, at least 12 characters).` }));
      continue;
    }
    // The author may stop their own deploy; only approving it is self-approval.
    if (v.decision === 'approve' && !policy.allow_self_approval && self.has(login)) {
      ignored.push(problem('FERRY_APPROVAL_SELF', `${v.login} is the release's author or the run's actor and may not approve their own deploy to ${environment}`, { hint: 'Ask another reviewer, or set approval.allow_self_approval: true in ferry.yml.' }));
      continue;
    }
    if (!(await allowed.has(v))) {
      ignored.push(problem('FERRY_APPROVAL_NOT_ALLOWED', `${v.login} may not approve deploys to ${environment} (allowed: ${allowed.describe()})`, { hint: `Ask ${allowed.describe()} to approve, or add ${v.login} to approval.allowed in ferry.yml.` }));
      continue;
    }
    if (v.decision === 'deny') return { status: 'denied', approvers: [...approvers.values()], deniedBy: v, ignored };
    if (!approvers.has(login)) approvers.set(login, { login: v.login, at: v.at, ...(v.url ? { url: v.url } : {}) });
  }
  const list = [...approvers.values()];
  return { status: list.length >= policy.min_approvals ? 'approved' : 'waiting', approvers: list, ignored };
}
