/**
 * Deployments and deployment statuses.
 *
 * Behaviour kept from GitHub: lists are newest first; `log_url` also sets
 * `target_url`; a status without `environment` keeps the previous one; and
 * `auto_inactive` (default true): a new `success` status adds an `inactive`
 * status to every prior deployment of the same environment whose latest
 * state is `success`. Not modelled: required status contexts (409) and
 * auto-merge (202), since there is no commit graph.
 */
import {
  field,
  json,
  notFound,
  paginate,
  unprocessable,
  validationFailed,
  type RouteContext,
  type RouteTable,
} from '../http.js';
import {
  GITHUB_ACTIONS_BOT,
  type DeploymentRecord,
  type DeploymentState,
  type DeploymentStatusRecord,
  type GitHubState,
  type UserRecord,
} from '../state.js';

export interface NewDeployment {
  sha: string;
  ref: string;
  task?: string;
  payload?: Record<string, unknown> | string;
  environment?: string;
  description?: string | null;
  transientEnvironment?: boolean;
  productionEnvironment?: boolean;
  creator: UserRecord;
  viaActions?: boolean;
}

export function createDeployment(state: GitHubState, input: NewDeployment): DeploymentRecord {
  const environment = input.environment ?? 'production';
  const now = state.now();
  const deployment: DeploymentRecord = {
    id: state.nextId('deployment'),
    sha: input.sha,
    ref: input.ref,
    task: input.task ?? 'deploy',
    payload: input.payload ?? {},
    originalEnvironment: environment,
    environment,
    description: input.description === undefined ? '' : input.description,
    creator: input.creator,
    createdAt: now,
    updatedAt: now,
    transientEnvironment: input.transientEnvironment ?? false,
    productionEnvironment: input.productionEnvironment ?? environment === 'production',
    viaActions: input.viaActions ?? false,
    statuses: [],
  };
  state.deployments.push(deployment);
  return deployment;
}

export interface NewDeploymentStatus {
  state: DeploymentState;
  creator: UserRecord;
  description?: string;
  environment?: string;
  targetUrl?: string;
  logUrl?: string;
  environmentUrl?: string;
  autoInactive?: boolean;
  viaActions?: boolean;
}

export function addDeploymentStatus(
  state: GitHubState,
  deployment: DeploymentRecord,
  input: NewDeploymentStatus,
): DeploymentStatusRecord {
  const previous = deployment.statuses.at(-1);
  const environment = input.environment ?? previous?.environment ?? deployment.environment;
  deployment.environment = environment;
  const now = state.now();
  const status: DeploymentStatusRecord = {
    id: state.nextId('deploymentStatus'),
    state: input.state,
    creator: input.creator,
    description: input.description ?? '',
    environment,
    // "Setting log_url will automatically set target_url to the same value."
    targetUrl: input.logUrl ?? input.targetUrl ?? '',
    logUrl: input.logUrl ?? input.targetUrl ?? '',
    environmentUrl: input.environmentUrl ?? '',
    createdAt: now,
    updatedAt: now,
    viaActions: input.viaActions ?? false,
  };
  deployment.statuses.push(status);
  deployment.updatedAt = now;

  if (input.state === 'success' && input.autoInactive !== false) {
    for (const prior of state.deployments) {
      if (prior.id >= deployment.id || prior.environment !== environment) continue;
      if (prior.statuses.at(-1)?.state !== 'success') continue;
      prior.statuses.push({
        ...status,
        id: state.nextId('deploymentStatus'),
        state: 'inactive',
        description: '',
        targetUrl: '',
        logUrl: '',
        environmentUrl: '',
      });
      prior.updatedAt = now;
    }
  }
  return status;
}

/** What GitHub does when a job with `environment:` starts (see GitHubServer.seedRunDeployment). */
export function seedRunDeployment(
  state: GitHubState,
  input: { environment: string; sha: string; ref?: string; runId: number },
): DeploymentRecord {
  const deployment = createDeployment(state, {
    sha: input.sha,
    ref: input.ref ?? state.defaultBranch,
    task: 'deploy',
    payload: {},
    environment: input.environment,
    creator: GITHUB_ACTIONS_BOT,
    viaActions: true,
  });
  const jobUrl = `https://github.com/${state.owner}/${state.repo}/actions/runs/${input.runId}/job/1`;
  addDeploymentStatus(state, deployment, {
    state: 'in_progress',
    creator: GITHUB_ACTIONS_BOT,
    logUrl: jobUrl,
    viaActions: true,
  });
  return deployment;
}

/** Payload strings holding a JSON object come back as that object, as on GitHub. */
function parsePayload(payload: unknown): Record<string, unknown> | string {
  if (payload === undefined || payload === '') return {};
  if (typeof payload !== 'string') return payload as Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : payload;
  } catch {
    return payload;
  }
}

function findDeployment(ctx: RouteContext): DeploymentRecord | undefined {
  return ctx.state.deployment(Number(ctx.params.deployment_id));
}

const MAX_STATUS_DESCRIPTION = 140;

export const deploymentRoutes: RouteTable = {
  'repos/create-deployment': (ctx) => {
    const ref = field<string>(ctx.body, 'ref') ?? '';
    const sha = ctx.state.resolveCommitish(ref);
    if (!sha) return unprocessable(ctx, `No ref found for: ${ref}`);
    const deployment = createDeployment(ctx.state, {
      sha,
      ref,
      task: field(ctx.body, 'task'),
      payload: parsePayload(field(ctx.body, 'payload')),
      environment: field(ctx.body, 'environment'),
      description: field(ctx.body, 'description'),
      transientEnvironment: field(ctx.body, 'transient_environment'),
      productionEnvironment: field(ctx.body, 'production_environment'),
      creator: ctx.user,
    });
    return json(201, ctx.objects.deployment(deployment));
  },

  'repos/list-deployments': (ctx) => {
    const filters = (['sha', 'ref', 'task', 'environment'] as const).flatMap((name) => {
      const value = ctx.params[name];
      return typeof value === 'string' && value !== '' ? [[name, value] as const] : [];
    });
    const matching = ctx.state.deployments
      .filter((d) => filters.every(([name, value]) => d[name] === value))
      .sort((a, b) => b.id - a.id);
    return paginate(ctx, matching.map((d) => ctx.objects.deployment(d)));
  },

  'repos/get-deployment': (ctx) => {
    const deployment = findDeployment(ctx);
    return deployment ? json(200, ctx.objects.deployment(deployment)) : notFound(ctx.documentationUrl);
  },

  'repos/create-deployment-status': (ctx) => {
    const deployment = findDeployment(ctx);
    if (!deployment) return notFound(ctx.documentationUrl);
    const description = field<string>(ctx.body, 'description');
    if (description !== undefined && description.length > MAX_STATUS_DESCRIPTION) {
      return validationFailed(ctx, [
        {
          resource: 'DeploymentStatus',
          code: 'custom',
          field: 'description',
          message: `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`,
        },
      ]);
    }
    const status = addDeploymentStatus(ctx.state, deployment, {
      state: field<DeploymentState>(ctx.body, 'state') ?? 'pending',
      creator: ctx.user,
      description,
      environment: field(ctx.body, 'environment'),
      targetUrl: field(ctx.body, 'target_url'),
      logUrl: field(ctx.body, 'log_url'),
      environmentUrl: field(ctx.body, 'environment_url'),
      autoInactive: field(ctx.body, 'auto_inactive'),
    });
    const body = ctx.objects.deploymentStatus(deployment, status);
    return json(201, body, { location: String(body.url) });
  },

  'repos/list-deployment-statuses': (ctx) => {
    const deployment = findDeployment(ctx);
    if (!deployment) return notFound(ctx.documentationUrl);
    const newestFirst = [...deployment.statuses].reverse();
    return paginate(ctx, newestFirst.map((s) => ctx.objects.deploymentStatus(deployment, s)));
  },

  'repos/get-deployment-status': (ctx) => {
    const deployment = findDeployment(ctx);
    const status = deployment?.statuses.find((s) => s.id === Number(ctx.params.status_id));
    return deployment && status
      ? json(200, ctx.objects.deploymentStatus(deployment, status))
      : notFound(ctx.documentationUrl);
  },
};
