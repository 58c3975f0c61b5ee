/**
 * Builds GitHub's JSON representations from state records. Every object is
 * complete (all properties the OpenAPI schema requires, plus the common
 * optional ones real GitHub sends), so response validation passes for the
 * right reason and clients see realistic payloads.
 *
 * API URLs point at this server (so following `url`/`upload_url` works);
 * HTML URLs point at github.com, as they would in production.
 */
import { createHash } from 'node:crypto';
import type {
  ApprovalRecord,
  AssetRecord,
  CommentRecord,
  CommitRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  GitHubState,
  IssueRecord,
  LabelRecord,
  ReleaseRecord,
  TagObjectRecord,
  UserRecord,
} from './state.js';

type Json = Record<string, unknown>;

const HTML = 'https://github.com';
const GITHUB_ORG: UserRecord & { type: 'User' | 'Bot' } = { login: 'github', id: 9919, type: 'User' };

/** GitHub's node ids are opaque base64 strings; this keeps them unique and stable. */
function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64').replace(/=+$/, '');
}

export class Representer {
  constructor(
    private readonly state: GitHubState,
    /** The server's base URL, e.g. http://127.0.0.1:4321 (no trailing slash). */
    readonly api: string,
  ) {}

  get repoApi(): string {
    return `${this.api}/repos/${this.state.owner}/${this.state.repo}`;
  }

  get repoHtml(): string {
    return `${HTML}/${this.state.owner}/${this.state.repo}`;
  }

  simpleUser(user: UserRecord, orgType = false): Json {
    const login = encodeURIComponent(user.login);
    const base = `${this.api}/users/${login}`;
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId(user.type === 'Bot' ? 'Bot' : 'User', user.id),
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: '',
      url: base,
      html_url: user.type === 'Bot' ? `${HTML}/apps/${login.replace(/%5Bbot%5D$/, '')}` : `${HTML}/${login}`,
      followers_url: `${base}/followers`,
      following_url: `${base}/following{/other_user}`,
      gists_url: `${base}/gists{/gist_id}`,
      starred_url: `${base}/starred{/owner}{/repo}`,
      subscriptions_url: `${base}/subscriptions`,
      organizations_url: `${base}/orgs`,
      repos_url: `${base}/repos`,
      events_url: `${base}/events{/privacy}`,
      received_events_url: `${base}/received_events`,
      type: orgType ? 'Organization' : user.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  /** The GitHub Actions app, as `performed_via_github_app` shows it on deployments Actions creates. */
  githubActionsApp(): Json {
    return {
      id: 15368,
      slug: 'github-actions',
      client_id: 'Iv1.05c79e9ad1f6bdfa',
      node_id: 'MDM6QXBwMTUzNjg=',
      owner: this.simpleUser(GITHUB_ORG, true),
      name: 'GitHub Actions',
      description: 'Automate your workflow from idea to production',
      external_url: 'https://help.github.com/en/actions',
      html_url: `${HTML}/apps/github-actions`,
      created_at: '2018-07-30T09:30:17Z',
      updated_at: '2024-04-10T20:33:16Z',
      permissions: { actions: 'write', checks: 'write', contents: 'write', deployments: 'write', metadata: 'read' },
      events: ['check_run', 'check_suite', 'deployment', 'push', 'workflow_dispatch'],
    };
  }

  repository(viewer: UserRecord): Json {
    const s = this.state;
    const r = this.repoApi;
    const isOwner = viewer.login === s.owner;
    return {
      id: s.repoId,
      node_id: nodeId('Repository', s.repoId),
      name: s.repo,
      full_name: s.fullName,
      owner: this.simpleUser(s.user(s.owner)),
      private: true,
      html_url: this.repoHtml,
      description: null,
      fork: false,
      url: r,
      archive_url: `${r}/{archive_format}{/ref}`,
      assignees_url: `${r}/assignees{/user}`,
      blobs_url: `${r}/git/blobs{/sha}`,
      branches_url: `${r}/branches{/branch}`,
      collaborators_url: `${r}/collaborators{/collaborator}`,
      comments_url: `${r}/comments{/number}`,
      commits_url: `${r}/commits{/sha}`,
      compare_url: `${r}/compare/{base}...{head}`,
      contents_url: `${r}/contents/{+path}`,
      contributors_url: `${r}/contributors`,
      deployments_url: `${r}/deployments`,
      downloads_url: `${r}/downloads`,
      events_url: `${r}/events`,
      forks_url: `${r}/forks`,
      git_commits_url: `${r}/git/commits{/sha}`,
      git_refs_url: `${r}/git/refs{/sha}`,
      git_tags_url: `${r}/git/tags{/sha}`,
      git_url: `git://github.com/${s.fullName}.git`,
      issue_comment_url: `${r}/issues/comments{/number}`,
      issue_events_url: `${r}/issues/events{/number}`,
      issues_url: `${r}/issues{/number}`,
      keys_url: `${r}/keys{/key_id}`,
      labels_url: `${r}/labels{/name}`,
      languages_url: `${r}/languages`,
      merges_url: `${r}/merges`,
      milestones_url: `${r}/milestones{/number}`,
      notifications_url: `${r}/notifications{?since,all,participating}`,
      pulls_url: `${r}/pulls{/number}`,
      releases_url: `${r}/releases{/id}`,
      ssh_url: `git@github.com:${s.fullName}.git`,
      stargazers_url: `${r}/stargazers`,
      statuses_url: `${r}/statuses/{sha}`,
      subscribers_url: `${r}/subscribers`,
      subscription_url: `${r}/subscription`,
      tags_url: `${r}/tags`,
      teams_url: `${r}/teams`,
      trees_url: `${r}/git/trees{/sha}`,
      clone_url: `${this.repoHtml}.git`,
      mirror_url: null,
      hooks_url: `${r}/hooks`,
      svn_url: this.repoHtml,
      homepage: null,
      language: 'Python',
      forks_count: 0,
      stargazers_count: 0,
      watchers_count: 0,
      size: 1024,
      default_branch: s.defaultBranch,
      open_issues_count: s.issues.filter((i) => i.state === 'open').length,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'private',
      pushed_at: s.createdAt,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      permissions: { admin: isOwner, maintain: isOwner, push: true, triage: true, pull: true },
      allow_forking: false,
      web_commit_signoff_required: false,
      license: null,
      forks: 0,
      open_issues: s.issues.filter((i) => i.state === 'open').length,
      watchers: 0,
      network_count: 0,
      subscribers_count: 1,
    };
  }

  deployment(d: DeploymentRecord): Json {
    const url = `${this.repoApi}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: nodeId('Deployment', d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.originalEnvironment,
      environment: d.environment,
      description: d.description,
      creator: this.simpleUser(d.creator),
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoApi,
      transient_environment: d.transientEnvironment,
      production_environment: d.productionEnvironment,
      performed_via_github_app: d.viaActions ? this.githubActionsApp() : null,
    };
  }

  deploymentStatus(d: DeploymentRecord, s: DeploymentStatusRecord): Json {
    const deploymentUrl = `${this.repoApi}/deployments/${d.id}`;
    return {
      url: `${deploymentUrl}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('DeploymentStatus', s.id),
      state: s.state,
      creator: this.simpleUser(s.creator),
      description: s.description,
      environment: s.environment,
      target_url: s.targetUrl,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      deployment_url: deploymentUrl,
      repository_url: this.repoApi,
      environment_url: s.environmentUrl,
      log_url: s.logUrl,
      performed_via_github_app: s.viaActions ? this.githubActionsApp() : null,
    };
  }

  /** `object.url` of a ref or tag: commits and tag objects live under different paths. */
  gitObject(sha: string): Json {
    const type = this.state.objectType(sha);
    return { type, sha, url: `${this.repoApi}/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}` };
  }

  gitRef(ref: string, sha: string): Json {
    return {
      ref,
      node_id: nodeId('Ref', ref),
      url: `${this.repoApi}/git/${encodeRefPath(ref)}`,
      object: this.gitObject(sha),
    };
  }

  gitTag(t: TagObjectRecord): Json {
    return {
      node_id: nodeId('Tag', t.sha),
      sha: t.sha,
      url: `${this.repoApi}/git/tags/${t.sha}`,
      tagger: t.tagger,
      object: {
        sha: t.object.sha,
        type: t.object.type,
        url: `${this.repoApi}/git/${t.object.type}s/${t.object.sha}`,
      },
      tag: t.tag,
      message: t.message,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  release(r: ReleaseRecord): Json {
    const url = `${this.repoApi}/releases/${r.id}`;
    // Drafts have no tag yet: GitHub shows them under an `untagged-…` name and without archives.
    const htmlTag = r.draft ? `untagged-${createHash('sha1').update(String(r.id)).digest('hex').slice(0, 20)}` : r.tagName;
    return {
      url,
      html_url: `${this.repoHtml}/releases/tag/${encodeRefPath(htmlTag)}`,
      assets_url: `${url}/assets`,
      // The spec serves uploads from uploads.github.com; here the same server takes them.
      upload_url: `${url}/assets{?name,label}`,
      tarball_url: r.draft ? null : `${this.repoApi}/tarball/${encodeRefPath(r.tagName)}`,
      zipball_url: r.draft ? null : `${this.repoApi}/zipball/${encodeRefPath(r.tagName)}`,
      id: r.id,
      node_id: nodeId('Release', r.id),
      tag_name: r.tagName,
      target_commitish: r.targetCommitish,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      immutable: false,
      created_at: r.createdAt,
      published_at: r.publishedAt,
      updated_at: r.updatedAt,
      author: this.simpleUser(r.author),
      assets: r.assets.map((a) => this.asset(a)),
    };
  }

  asset(a: AssetRecord): Json {
    const release = this.state.release(a.releaseId);
    return {
      url: `${this.repoApi}/releases/assets/${a.id}`,
      // GitHub's is https://github.com/o/r/releases/download/<tag>/<name>; ours is served here.
      browser_download_url: `${this.api}/_downloads/${this.state.owner}/${this.state.repo}/releases/download/${encodeRefPath(release?.tagName ?? 'untagged')}/${encodeURIComponent(a.name)}`,
      id: a.id,
      node_id: nodeId('ReleaseAsset', a.id),
      name: a.name,
      label: a.label,
      state: 'uploaded',
      content_type: a.contentType,
      size: a.data.length,
      digest: `sha256:${createHash('sha256').update(a.data).digest('hex')}`,
      download_count: a.downloadCount,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
      uploader: this.simpleUser(a.uploader),
    };
  }

  label(l: LabelRecord): Json {
    return {
      id: l.id,
      node_id: nodeId('Label', l.id),
      url: `${this.repoApi}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      color: l.color,
      default: false,
      description: l.description,
    };
  }

  issue(i: IssueRecord): Json {
    const url = `${this.repoApi}/issues/${i.number}`;
    return {
      id: i.id,
      node_id: nodeId('Issue', i.id),
      url,
      repository_url: this.repoApi,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${this.repoHtml}/issues/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.stateReason,
      title: i.title,
      body: i.body,
      user: this.simpleUser(i.user),
      labels: i.labels.map((l) => this.label(l)),
      assignee: i.assignees[0] ? this.simpleUser(i.assignees[0]) : null,
      assignees: i.assignees.map((u) => this.simpleUser(u)),
      milestone: null,
      locked: i.locked,
      active_lock_reason: null,
      comments: this.state.comments.filter((c) => c.issueNumber === i.number).length,
      closed_at: i.closedAt,
      closed_by: i.closedBy ? this.simpleUser(i.closedBy) : null,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      author_association: this.association(i.user),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
      reactions: this.reactions(`${url}/reactions`),
    };
  }

  comment(c: CommentRecord): Json {
    const url = `${this.repoApi}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: nodeId('IssueComment', c.id),
      url,
      html_url: `${this.repoHtml}/issues/${c.issueNumber}#issuecomment-${c.id}`,
      body: c.body,
      user: this.simpleUser(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: `${this.repoApi}/issues/${c.issueNumber}`,
      author_association: this.association(c.user),
      performed_via_github_app: null,
      reactions: this.reactions(`${url}/reactions`),
    };
  }

  commit(c: CommitRecord): Json {
    const url = `${this.repoApi}/commits/${c.sha}`;
    const gitUser = { name: c.authorName, email: c.authorEmail, date: c.date };
    return {
      url,
      sha: c.sha,
      node_id: nodeId('Commit', c.sha),
      html_url: `${this.repoHtml}/commit/${c.sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.repoApi}/git/commits/${c.sha}`,
        author: gitUser,
        committer: gitUser,
        message: c.message,
        comment_count: 0,
        tree: { sha: createHash('sha1').update(`tree:${c.sha}`).digest('hex'), url: `${this.repoApi}/git/trees/${createHash('sha1').update(`tree:${c.sha}`).digest('hex')}` },
        verification: { verified: false, reason: 'unsigned', payload: null, signature: null, verified_at: null },
      },
      author: c.author ? this.simpleUser(c.author) : null,
      committer: c.author ? this.simpleUser(c.author) : null,
      parents: [],
      stats: { additions: 1, deletions: 0, total: 1 },
      files: [],
    };
  }

  approval(a: ApprovalRecord): Json {
    return {
      environments: a.environments.map((name) => {
        const id = environmentId(name);
        return {
          id,
          node_id: nodeId('Environment', id),
          name,
          url: `${this.repoApi}/environments/${encodeURIComponent(name)}`,
          html_url: `${this.repoHtml}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
          created_at: this.state.createdAt,
          updated_at: this.state.createdAt,
        };
      }),
      state: a.state,
      user: this.simpleUser(a.user),
      comment: a.comment,
    };
  }

  private association(user: UserRecord): string {
    if (user.login === this.state.owner) return 'OWNER';
    return user.type === 'Bot' ? 'NONE' : 'COLLABORATOR';
  }

  private reactions(url: string): Json {
    return { url, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
  }
}

/** Encodes each segment of a slash-separated name (refs and tags keep their slashes in URLs). */
export function encodeRefPath(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

/** Environments are not modelled; give each name a stable id. */
function environmentId(name: string): number {
  return parseInt(createHash('sha1').update(name).digest('hex').slice(0, 7), 16);
}
