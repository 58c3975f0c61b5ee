/**
 * GET /repos/{owner}/{repo}/commits/{ref} — a commit and its GitHub author.
 * There is no commit graph: a ref resolves as in git routes, any 40-hex sha is
 * a commit, and only commits seeded with `seedCommit` have a linked author.
 */
import { json, unprocessable, type RouteTable } from '../http.js';

export const commitRoutes: RouteTable = {
  'repos/get-commit': (ctx) => {
    const ref = String(ctx.params.ref);
    const sha = ctx.state.resolveCommitish(ref);
    if (!sha) return unprocessable(ctx, `No commit found for SHA: ${ref}`);
    const seeded = ctx.state.commits.get(sha.toLowerCase());
    return seeded ? json(200, ctx.objects.commit(seeded)) : json(200, ctx.objects.commit({ sha, message: 'change', author: null, authorName: 'Someone', authorEmail: 'someone@example.com', date: ctx.state.createdAt }));
  },
};

