/**
 * GET /orgs/{org}/teams/{team_slug}/memberships/{username} — whether a user is
 * in a team, as seeded with `seedTeam`. GitHub answers 404 both for a user
 * outside the team and for a team the token cannot see.
 */
import { json, notFound, type RouteTable } from '../http.js';

export const teamRoutes: RouteTable = {
  'teams/get-membership-for-user-in-org': (ctx) => {
    const org = String(ctx.params.org);
    const slug = String(ctx.params.team_slug);
    const member = ctx.state.teams.get(`${org}/${slug}`.toLowerCase())?.get(String(ctx.params.username).toLowerCase());
    if (!member) return notFound(ctx.documentationUrl);
    return json(200, { url: `${ctx.objects.api}/organizations/${ctx.state.repoId}/team/${encodeURIComponent(slug)}/memberships/${encodeURIComponent(String(ctx.params.username))}`, role: member.role, state: member.state });
  },
};
