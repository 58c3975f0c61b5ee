/** Every implemented operation, keyed by the spec's operationId. */
import type { RouteTable } from '../http.js';
import { actionsRoutes } from './actions.js';
import { commitRoutes } from './commits.js';
import { deploymentRoutes } from './deployments.js';
import { gitRoutes } from './git.js';
import { issueRoutes } from './issues.js';
import { releaseRoutes } from './releases.js';
import { repoRoutes } from './repos.js';
import { teamRoutes } from './teams.js';

export const routes: RouteTable = {
  ...repoRoutes,
  ...deploymentRoutes,
  ...gitRoutes,
  ...releaseRoutes,
  ...issueRoutes,
  ...actionsRoutes,
  ...commitRoutes,
  ...teamRoutes,
};
