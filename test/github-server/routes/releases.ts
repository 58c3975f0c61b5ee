/**
 * Releases and release assets.
 *
 * Kept from GitHub: publishing a release whose tag does not exist creates a
 * lightweight tag at `target_commitish`; drafts create no tag and are not
 * found by tag name; one release per tag; asset names are unique per release
 * and special characters are replaced by `.`. Uploads go to the `upload_url`
 * GitHub returns (normally on uploads.github.com; here this server). Asset
 * bytes are served, like GitHub, by a 302 to a download URL when the request
 * says `Accept: application/octet-stream`.
 */
import {
  field,
  json,
  noContent,
  notFound,
  paginate,
  validationFailed,
  type RouteContext,
  type RouteResult,
  type RouteTable,
} from '../http.js';
import type { AssetRecord, GitHubState, ReleaseRecord } from '../state.js';

function findRelease(ctx: RouteContext): ReleaseRecord | undefined {
  return ctx.state.release(Number(ctx.params.release_id));
}

function newestFirst(releases: readonly ReleaseRecord[]): ReleaseRecord[] {
  return [...releases].sort((a, b) => b.id - a.id);
}

/** Creates `refs/tags/<tag>` at `target_commitish` unless the tag exists. Returns false when the commitish is unknown. */
function ensureTag(state: GitHubState, release: ReleaseRecord): boolean {
  const ref = `refs/tags/${release.tagName}`;
  if (state.refs.has(ref)) return true;
  const sha = state.resolveCommitish(release.targetCommitish);
  if (!sha) return false;
  state.refs.set(ref, sha);
  return true;
}

function invalidCommitish(ctx: RouteContext): RouteResult {
  return validationFailed(ctx, [{ resource: 'Release', code: 'invalid', field: 'target_commitish' }]);
}

/** "GitHub renames asset filenames that have special characters ... and leading or trailing periods." */
function assetName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '.').replace(/^\.+|\.+$/g, '');
}

export function downloadAsset(asset: AssetRecord): RouteResult {
  asset.downloadCount++;
  return { status: 200, raw: { data: asset.data, contentType: 'application/octet-stream' } };
}

export const releaseRoutes: RouteTable = {
  'repos/create-release': (ctx) => {
    const tagName = field<string>(ctx.body, 'tag_name') ?? '';
    if (ctx.state.releases.some((r) => r.tagName === tagName)) {
      return validationFailed(ctx, [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }]);
    }
    const draft = field<boolean>(ctx.body, 'draft') ?? false;
    const now = ctx.state.now();
    const release: ReleaseRecord = {
      id: ctx.state.nextId('release'),
      tagName,
      targetCommitish: field<string>(ctx.body, 'target_commitish') ?? ctx.state.defaultBranch,
      name: field<string>(ctx.body, 'name') ?? null,
      body: field<string>(ctx.body, 'body') ?? null,
      draft,
      prerelease: field<boolean>(ctx.body, 'prerelease') ?? false,
      author: ctx.user,
      createdAt: now,
      publishedAt: draft ? null : now,
      updatedAt: now,
      assets: [],
    };
    if (!draft && !ensureTag(ctx.state, release)) return invalidCommitish(ctx);
    ctx.state.releases.push(release);
    const out = ctx.objects.release(release);
    return json(201, out, { location: String(out.url) });
  },

  'repos/update-release': (ctx) => {
    const release = findRelease(ctx);
    if (!release) return notFound(ctx.documentationUrl);
    const body = ctx.body as Partial<Record<'tag_name' | 'target_commitish' | 'name' | 'body', string>> &
      Partial<Record<'draft' | 'prerelease', boolean>>;
    if (body.tag_name !== undefined && ctx.state.releases.some((r) => r !== release && r.tagName === body.tag_name)) {
      return validationFailed(ctx, [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }]);
    }
    const next: ReleaseRecord = {
      ...release,
      tagName: body.tag_name ?? release.tagName,
      targetCommitish: body.target_commitish ?? release.targetCommitish,
      name: body.name ?? release.name,
      body: body.body ?? release.body,
      draft: body.draft ?? release.draft,
      prerelease: body.prerelease ?? release.prerelease,
      updatedAt: ctx.state.now(),
    };
    if (!next.draft) {
      if (!ensureTag(ctx.state, next)) return invalidCommitish(ctx);
      next.publishedAt ??= next.updatedAt;
    }
    Object.assign(release, next);
    return json(200, ctx.objects.release(release));
  },

  'repos/delete-release': (ctx) => {
    const release = findRelease(ctx);
    if (!release) return notFound(ctx.documentationUrl);
    ctx.state.releases.splice(ctx.state.releases.indexOf(release), 1);
    return noContent();
  },

  'repos/list-releases': (ctx) =>
    paginate(ctx, newestFirst(ctx.state.releases).map((r) => ctx.objects.release(r))),

  'repos/get-release': (ctx) => {
    const release = findRelease(ctx);
    return release ? json(200, ctx.objects.release(release)) : notFound(ctx.documentationUrl);
  },

  'repos/get-release-by-tag': (ctx) => {
    const release = ctx.state.releases.find((r) => !r.draft && r.tagName === ctx.params.tag);
    return release ? json(200, ctx.objects.release(release)) : notFound(ctx.documentationUrl);
  },

  'repos/get-latest-release': (ctx) => {
    const release = newestFirst(ctx.state.releases).find((r) => !r.draft && !r.prerelease);
    return release ? json(200, ctx.objects.release(release)) : notFound(ctx.documentationUrl);
  },

  'repos/list-release-assets': (ctx) => {
    const release = findRelease(ctx);
    if (!release) return notFound(ctx.documentationUrl);
    return paginate(ctx, release.assets.map((a) => ctx.objects.asset(a)));
  },

  'repos/upload-release-asset': (ctx) => {
    const release = findRelease(ctx);
    if (!release) return notFound(ctx.documentationUrl);
    const name = assetName(String(ctx.params.name));
    if (release.assets.some((a) => a.name === name)) {
      return validationFailed(ctx, [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }]);
    }
    const now = ctx.state.now();
    const asset: AssetRecord = {
      id: ctx.state.nextId('asset'),
      releaseId: release.id,
      name,
      label: typeof ctx.params.label === 'string' ? ctx.params.label : null,
      contentType: ctx.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream',
      data: Buffer.isBuffer(ctx.body) ? ctx.body : Buffer.alloc(0),
      uploader: ctx.user,
      createdAt: now,
      updatedAt: now,
      downloadCount: 0,
    };
    release.assets.push(asset);
    return json(201, ctx.objects.asset(asset));
  },

  'repos/get-release-asset': (ctx) => {
    const asset = ctx.state.asset(Number(ctx.params.asset_id));
    if (!asset) return notFound(ctx.documentationUrl);
    if (ctx.headers.accept?.includes('application/octet-stream')) {
      return { status: 302, headers: { location: `${ctx.objects.api}/_downloads/assets/${asset.id}` } };
    }
    return json(200, ctx.objects.asset(asset));
  },

  'repos/delete-release-asset': (ctx) => {
    const asset = ctx.state.asset(Number(ctx.params.asset_id));
    const release = asset && ctx.state.release(asset.releaseId);
    if (!asset || !release) return notFound(ctx.documentationUrl);
    release.assets.splice(release.assets.indexOf(asset), 1);
    return noContent();
  },
};

/**
 * Download URLs (GitHub serves them from other hosts, unauthenticated and
 * outside the REST API): the 302 target and `browser_download_url`.
 */
export function serveDownload(state: GitHubState, pathname: string): RouteResult | undefined {
  const byId = /^\/_downloads\/assets\/(\d+)$/.exec(pathname);
  if (byId) {
    const asset = state.asset(Number(byId[1]));
    return asset ? downloadAsset(asset) : undefined;
  }
  const prefix = `/_downloads/${state.owner}/${state.repo}/releases/download/`;
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  const slash = rest.lastIndexOf('/');
  if (slash < 0) return undefined;
  let tag: string;
  let name: string;
  try {
    tag = decodeURIComponent(rest.slice(0, slash));
    name = decodeURIComponent(rest.slice(slash + 1));
  } catch {
    return undefined;
  }
  const asset = state.releases.find((r) => r.tagName === tag)?.assets.find((a) => a.name === name);
  return asset ? downloadAsset(asset) : undefined;
}
