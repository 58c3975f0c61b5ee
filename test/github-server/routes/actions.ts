/**
 * GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals — the reviews of a
 * run's environment deployments, as seeded with `seedRunApprovals`. Runs are
 * not modelled: an unseeded run id has no reviews yet (an empty list).
 */
import { json, type RouteTable } from '../http.js';

export const actionsRoutes: RouteTable = {
  'actions/get-reviews-for-run': (ctx) => {
    const approvals = ctx.state.runApprovals.get(Number(ctx.params.run_id)) ?? [];
    return json(200, approvals.map((a) => ctx.objects.approval(a)));
  },
};
