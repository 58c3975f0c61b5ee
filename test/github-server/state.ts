/**
 * The in-memory state of the fake repository. Plain records (not GitHub's
 * JSON shapes: those are built from these by objects.ts), so tests can read
 * `gh.state` directly, e.g. `gh.state.deployments[0].statuses.map(s => s.state)`.
 */
import { createHash } from 'node:crypto';

export interface UserRecord {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface DeploymentStatusRecord {
  id: number;
  state: DeploymentState;
  creator: UserRecord;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
  updatedAt: string;
  /** Created by GitHub Actions on its own (seedRunDeployment), shown as performed_via_github_app. */
  viaActions: boolean;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  originalEnvironment: string;
  environment: string;
  description: string | null;
  creator: UserRecord;
  createdAt: string;
  updatedAt: string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  viaActions: boolean;
  /** Oldest first (the API lists them newest first). */
  statuses: DeploymentStatusRecord[];
}

export interface TagObjectRecord {
  sha: string;
  tag: string;
  message: string;
  object: { sha: string; type: 'commit' | 'tree' | 'blob' };
  tagger: { name: string; email: string; date: string };
}

export interface AssetRecord {
  id: number;
  releaseId: number;
  name: string;
  label: string | null;
  contentType: string;
  data: Buffer;
  uploader: UserRecord;
  createdAt: string;
  updatedAt: string;
  downloadCount: number;
}

export interface ReleaseRecord {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: UserRecord;
  createdAt: string;
  publishedAt: string | null;
  updatedAt: string;
  assets: AssetRecord[];
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'reopened' | 'not_planned' | 'duplicate' | null;
  labels: LabelRecord[];
  assignees: UserRecord[];
  user: UserRecord;
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: UserRecord | null;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface ApprovalRecord {
  environments: string[];
  state: 'approved' | 'rejected' | 'pending';
  user: UserRecord;
  comment: string;
  createdAt: string;
}

/** What `seedRunApprovals` takes: one entry per review of a run's pending deployments. */
export interface ApprovalSeed {
  environments: string[] | string;
  state: ApprovalRecord['state'];
  /** Reviewer login; a User is created on the fly. */
  user: string;
  comment?: string;
}

/** A team member as GET /orgs/{org}/teams/{team_slug}/memberships/{username} reports it. */
export interface TeamMembershipRecord {
  role: 'member' | 'maintainer';
  state: 'active' | 'pending';
}

/** What `seedTeam` takes per member: a login (active member) or the full record. */
export type TeamMemberSeed = string | ({ login: string } & Partial<TeamMembershipRecord>);

/** A user's role on the repository, as GET /repos/{owner}/{repo}/collaborators/{username}/permission reports it in `role_name`. */
export type RepositoryRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** A commit as GET /repos/{owner}/{repo}/commits/{ref} reports it (seeded with `seedCommit`). */
export interface CommitRecord {
  sha: string;
  message: string;
  /** The GitHub account of the author; null when the author's email is not linked to one. */
  author: UserRecord | null;
  authorName: string;
  authorEmail: string;
  date: string;
}

/** The bot GitHub Actions acts as (`GITHUB_TOKEN`), with its real id. */
export const GITHUB_ACTIONS_BOT: UserRecord = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export interface StateOptions {
  owner: string;
  repo: string;
  defaultBranch?: string;
  now?: () => Date;
}

export class GitHubState {
  readonly owner: string;
  readonly repo: string;
  readonly repoId = 700000001;
  readonly defaultBranch: string;
  readonly createdAt: string;

  readonly users = new Map<string, UserRecord>();
  /** Creation order; the API lists newest first. */
  readonly deployments: DeploymentRecord[] = [];
  /** Full ref name (`refs/tags/v1`) → sha of the commit or annotated tag object. */
  readonly refs = new Map<string, string>();
  /** Annotated tag objects by sha (POST /git/tags). */
  readonly tagObjects = new Map<string, TagObjectRecord>();
  readonly releases: ReleaseRecord[] = [];
  readonly labels = new Map<string, LabelRecord>();
  readonly issues: IssueRecord[] = [];
  readonly comments: CommentRecord[] = [];
  /** Run id → reviews returned by GET /actions/runs/{run_id}/approvals. */
  readonly runApprovals = new Map<number, ApprovalRecord[]>();
  /** `org/team_slug` (lower case) → login → membership. */
  readonly teams = new Map<string, Map<string, TeamMembershipRecord>>();
  /** Commits by sha; an unseeded 40-hex sha is a commit with no linked author. */
  readonly commits = new Map<string, CommitRecord>();
  /** Login (lower case) → repository role (`seedPermission`); unseeded: admin for the owner, write for everyone else, as the COLLABORATOR association says. */
  readonly permissions = new Map<string, RepositoryRole>();

  private readonly clock: () => Date;
  // Separate id spaces, each starting high like GitHub's (some ids exceed 2^31).
  private readonly counters = {
    user: 9000,
    deployment: 1000000000,
    deploymentStatus: 2000000000,
    release: 180000000,
    asset: 250000000,
    label: 5000000000,
    issue: 3000000000,
    comment: 4000000000,
  };
  private issueNumber = 0;

  constructor(options: StateOptions) {
    this.owner = options.owner;
    this.repo = options.repo;
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.clock = options.now ?? (() => new Date());
    this.createdAt = this.now();
    this.users.set(GITHUB_ACTIONS_BOT.login, GITHUB_ACTIONS_BOT);
    this.users.set(this.owner, { login: this.owner, id: this.nextId('user'), type: 'User' });
    // A default branch to deploy from; its head is derived from the repo name so it is stable.
    this.refs.set(`refs/heads/${this.defaultBranch}`, sha1(`${this.owner}/${this.repo}@${this.defaultBranch}`));
  }

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  /** GitHub timestamps are ISO 8601 with second precision: `2024-05-01T12:00:00Z`. */
  now(): string {
    return this.clock().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  nextId(kind: keyof GitHubState['counters']): number {
    return ++this.counters[kind];
  }

  nextIssueNumber(): number {
    return ++this.issueNumber;
  }

  /** Users are created on first mention (reviewers, assignees, token owners). */
  user(login: string): UserRecord {
    let user = this.users.get(login);
    if (!user) {
      user = { login, id: this.nextId('user'), type: login.endsWith('[bot]') ? 'Bot' : 'User' };
      this.users.set(login, user);
    }
    return user;
  }

  label(name: string): LabelRecord {
    let label = this.labels.get(name);
    if (!label) {
      label = { id: this.nextId('label'), name, color: 'ededed', description: null };
      this.labels.set(name, label);
    }
    return label;
  }

  deployment(id: number): DeploymentRecord | undefined {
    return this.deployments.find((d) => d.id === id);
  }

  release(id: number): ReleaseRecord | undefined {
    return this.releases.find((r) => r.id === id);
  }

  asset(id: number): AssetRecord | undefined {
    for (const release of this.releases) {
      const asset = release.assets.find((a) => a.id === id);
      if (asset) return asset;
    }
    return undefined;
  }

  issue(number: number): IssueRecord | undefined {
    return this.issues.find((i) => i.number === number);
  }

  comment(id: number): CommentRecord | undefined {
    return this.comments.find((c) => c.id === id);
  }

  /**
   * Resolves a branch, tag or sha to a commit sha, peeling annotated tags.
   * There is no commit graph: any 40-hex string counts as an existing commit.
   */
  resolveCommitish(ref: string): string | undefined {
    if (isSha(ref)) return this.peel(ref);
    const full = ref.startsWith('refs/') ? ref : undefined;
    const sha =
      (full && this.refs.get(full)) ?? this.refs.get(`refs/heads/${ref}`) ?? this.refs.get(`refs/tags/${ref}`);
    return sha ? this.peel(sha) : undefined;
  }

  /** The type of the object a sha names, as a ref's `object.type` reports it. */
  objectType(sha: string): 'commit' | 'tag' {
    return this.tagObjects.has(sha) ? 'tag' : 'commit';
  }

  private peel(sha: string): string {
    let current = sha;
    for (let tag = this.tagObjects.get(current); tag; tag = this.tagObjects.get(current)) current = tag.object.sha;
    return current;
  }
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}

export function sha1(content: string | Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}
