/**
 * GET /repos/{owner}/{repo}, and GET /repos/{owner}/{repo}/collaborators/{username}/permission:
 * a user's role as seeded with `seedPermission` (default: admin for the owner,
 * write for everyone else). `permission` is the legacy field GitHub still sends:
 * maintain reads as write, triage as read. (The server answers 404 for any
 * other owner/repo before routing here.)
 */
import { json, type RouteTable } from '../http.js';

const LEGACY = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'none' } as const;

export const repoRoutes: RouteTable = {
  'repos/get': (ctx) => json(200, ctx.objects.repository(ctx.user)),
  'repos/get-collaborator-permission-level': (ctx) => {
    const login = String(ctx.params.username);
    const user = ctx.state.user(login);
    const role = ctx.state.permissions.get(login.toLowerCase()) ?? (login.toLowerCase() === ctx.state.owner.toLowerCase() ? 'admin' : 'write');
    return json(200, { permission: LEGACY[role], role_name: role, user: { ...ctx.objects.simpleUser(user), role_name: role } });
  },
};
