/** GET /repos/{owner}/{repo}. (The server answers 404 for any other owner/repo before routing here.) */
import { json, type RouteTable } from '../http.js';

export const repoRoutes: RouteTable = {
  'repos/get': (ctx) => json(200, ctx.objects.repository(ctx.user)),
};
