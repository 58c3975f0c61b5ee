/**
 * Git tags (annotated tag objects) and refs.
 *
 * `{ref}` in paths is the ref without `refs/` (`tags/ferry/x/1.0`) and may
 * contain slashes (the router handles GitHub's `x-multi-segment`). There is
 * no object store: any 40-hex sha counts as an existing commit, so fast-forward
 * checks on update are not made.
 */
import { json, noContent, notFound, unprocessable, type RouteContext, type RouteTable } from '../http.js';
import { isSha, sha1, type TagObjectRecord } from '../state.js';

function refParam(ctx: RouteContext): string {
  return `refs/${String(ctx.params.ref).replace(/^refs\//, '')}`;
}

function objectExists(ctx: RouteContext, sha: string): boolean {
  return ctx.state.tagObjects.has(sha) || isSha(sha);
}

export const gitRoutes: RouteTable = {
  'git/create-tag': (ctx) => {
    const body = ctx.body as {
      tag: string;
      message: string;
      object: string;
      type: TagObjectRecord['object']['type'];
      tagger?: { name: string; email: string; date?: string };
    };
    if (!objectExists(ctx, body.object)) return unprocessable(ctx, 'Object does not exist');
    const tagger = {
      name: body.tagger?.name ?? ctx.user.login,
      email: body.tagger?.email ?? `${ctx.user.id}+${ctx.user.login}@users.noreply.github.com`,
      date: body.tagger?.date ?? ctx.state.now(),
    };
    const tag: TagObjectRecord = {
      sha: sha1(`tag ${body.tag}\nobject ${body.object}\ntype ${body.type}\n${tagger.date}\n${body.message}`),
      tag: body.tag,
      message: body.message,
      object: { sha: body.object, type: body.type },
      tagger,
    };
    ctx.state.tagObjects.set(tag.sha, tag);
    const out = ctx.objects.gitTag(tag);
    return json(201, out, { location: String(out.url) });
  },

  'git/get-tag': (ctx) => {
    const tag = ctx.state.tagObjects.get(String(ctx.params.tag_sha));
    return tag ? json(200, ctx.objects.gitTag(tag)) : notFound(ctx.documentationUrl);
  },

  'git/create-ref': (ctx) => {
    const { ref, sha } = ctx.body as { ref: string; sha: string };
    // "If it doesn't start with 'refs' and have at least two slashes, it will be rejected."
    if (!/^refs\/[^/]+\/.+/.test(ref)) return unprocessable(ctx, `${ref} is not a valid ref name.`);
    if (ctx.state.refs.has(ref)) return unprocessable(ctx, 'Reference already exists');
    if (!objectExists(ctx, sha)) return unprocessable(ctx, 'Object does not exist');
    ctx.state.refs.set(ref, sha);
    const out = ctx.objects.gitRef(ref, sha);
    return json(201, out, { location: String(out.url) });
  },

  'git/get-ref': (ctx) => {
    const ref = refParam(ctx);
    const sha = ctx.state.refs.get(ref);
    return sha ? json(200, ctx.objects.gitRef(ref, sha)) : notFound(ctx.documentationUrl);
  },

  'git/list-matching-refs': (ctx) => {
    const prefix = refParam(ctx);
    const refs = [...ctx.state.refs.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b));
    return json(200, refs.map(([name, sha]) => ctx.objects.gitRef(name, sha)));
  },

  'git/update-ref': (ctx) => {
    const ref = refParam(ctx);
    const { sha } = ctx.body as { sha: string };
    if (!ctx.state.refs.has(ref)) return unprocessable(ctx, 'Reference does not exist');
    if (!objectExists(ctx, sha)) return unprocessable(ctx, 'Object does not exist');
    ctx.state.refs.set(ref, sha);
    return json(200, ctx.objects.gitRef(ref, sha));
  },

  'git/delete-ref': (ctx) => {
    const ref = refParam(ctx);
    if (!ctx.state.refs.delete(ref)) return unprocessable(ctx, 'Reference does not exist');
    return noContent();
  },
};
