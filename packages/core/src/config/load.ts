import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { FerryError, fail, type Problem } from '../errors/index.js';
import { requireDirectory, resolveInside } from '../fs/paths.js';
import type { ChecksConfig } from './checks-schema.js';
import { SmokeSchema, type ApprovalConfig, type FreezeWindow, type SmokeConfig } from './gates-schema.js';
import { formatKeyPath, knownKeysAt, lineOf, type KeyPath } from './locate.js';
import {
  FerryConfigSchema,
  TARGETED_KINDS,
  type ConfigsArtifact,
  type DagsArtifact,
  type DbtArtifact,
  type DbtTargetConfig,
  type RegistryTargetConfig,
  type AirflowConfig,
  type EnvironmentConfig,
  type ImageArtifact,
  type RawFerryConfig,
  type TargetConfig,
  type TargetedKind,
} from './schema.js';
import { closest, didYouMean } from './suggest.js';

/** A target entry of ferry.yml; a local target's path is made absolute. */
export type ResolvedTarget = TargetConfig;

export interface Environment {
  name: string;
  /** Position in the ordered list (0 = first). */
  index: number;
  requires?: string;
  production: boolean;
  requiresApproval: boolean;
  url?: string;
  targets: Partial<Record<TargetedKind, ResolvedTarget>>;
  /** Where dbt runs for this environment; absent: dbt models are not deployed here. */
  dbt?: DbtTargetConfig & { profilesDir?: string };
  /** Where images are promoted; absent: images are pinned in releases but not promoted here. */
  images?: RegistryTargetConfig;
  /** The environment's Airflow, checked after DAG deploys. */
  airflow?: AirflowConfig;
  /** Smoke checks after a deploy (default: the files check only). */
  smoke: SmokeConfig;
  approval?: ApprovalConfig;
  freeze: FreezeWindow[];
}

export interface FerryConfig {
  /** Absolute path of ferry.yml. */
  file: string;
  /** Folder holding ferry.yml; every artifact path stays inside it. */
  root: string;
  project: string;
  artifacts: {
    dags?: DagsArtifact & { dir: string };
    configs?: ConfigsArtifact & { dir: string; schemaFiles: { files: string; schema: string }[] };
    dbt?: DbtArtifact & { dir: string };
    images?: ImageArtifact[];
  };
  environments: Environment[];
  release: { store: string; tagPrefix: string };
  /** The `checks:` section as written (paths relative to `root`). */
  checks: ChecksConfig;
}

export const DEFAULT_CONFIG_FILE = 'ferry.yml';

/** Reads and validates ferry.yml, reporting every problem at once. */
export function loadConfig(file: string): FerryConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    fail('FERRY_CONFIG_NOT_FOUND', `no ferry.yml at ${abs}`, { location: { file: abs } });
  }
  return parseConfig(text, abs);
}

export function parseConfig(text: string, file: string): FerryConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  const rel = path.basename(file);
  if (doc.errors.length > 0) {
    // Later parse errors are almost always echoes of the first.
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    fail('FERRY_CONFIG_YAML', yamlMessage(e.message), { location: { file: rel, line: pos?.line, column: pos?.col } });
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    fail('FERRY_CONFIG_INVALID', 'ferry.yml must be a mapping of keys (project, artifacts, environments)', { location: { file: rel, line: 1 } });
  }
  const where = (p: KeyPath, key?: string) => ({ file: rel, key: formatKeyPath(key === undefined ? p : [...p, key]), ...lineOf(doc, counter, p, key) });
  const result = FerryConfigSchema.safeParse(data);
  if (!result.success) throw new FerryError(dropTypoEchoes(result.error.issues.flatMap((issue) => issueProblems(issue, data, where))));
  return resolve(result.data, file, where);
}

function issueProblems(issue: z.core.$ZodIssue, data: unknown, where: (p: KeyPath, key?: string) => Problem['location']): Problem[] {
  const p = issue.path as KeyPath;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(FerryConfigSchema, p, data);
    return issue.keys.map((key) => ({
      code: 'FERRY_CONFIG_UNKNOWN_KEY' as const,
      message: `unknown key "${key}"${p.length ? ` in ${formatKeyPath(p)}` : ''}.${didYouMean(key, known)}`,
      location: where(p, key),
      hint: known.length ? `Allowed keys here: ${known.join(', ')}.` : undefined,
    }));
  }
  const missing = valueAt(data, p) === undefined;
  const message = missing && issue.code === 'invalid_type' ? `required key "${formatKeyPath(p)}" is missing (${issue.message.replace(/^Invalid input: /, '')})` : issue.message;
  return [{ code: 'FERRY_CONFIG_INVALID', message, location: where(p) }];
}

/** The parser's first line without its own " at line N, column M:" (the location says it). */
export function yamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * `pth: x` yields "unknown key pth, did you mean path" and "path is missing";
 * the second only repeats the first, so it is dropped.
 */
function dropTypoEchoes(problems: Problem[]): Problem[] {
  const suggested = new Set(
    problems.flatMap((p) => {
      const m = p.code === 'FERRY_CONFIG_UNKNOWN_KEY' ? /Did you mean "([^"]+)"/.exec(p.message) : null;
      return m && p.location?.key ? [p.location.key.replace(/[^.[\]]+$/, m[1]!)] : [];
    }),
  );
  return problems.filter((p) => !(p.code === 'FERRY_CONFIG_INVALID' && /is missing/.test(p.message) && suggested.has(p.location?.key ?? '')));
}

function valueAt(data: unknown, p: KeyPath): unknown {
  return p.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined), data);
}

function defaultEnvironments(raw: RawFerryConfig): EnvironmentConfig[] {
  const targets = (env: string) =>
    Object.fromEntries(
      TARGETED_KINDS.filter((k) => raw.artifacts[k]).map((k) => [k, { kind: 'local' as const, path: `.ferry/targets/${env}/${k}`, keep: 3 }]),
    );
  return [
    { name: 'dev', targets: targets('dev'), freeze: [] },
    { name: 'staging', targets: targets('staging'), freeze: [] },
    { name: 'prod', requires: 'staging', production: true, targets: targets('prod'), freeze: [] },
  ];
}

function resolve(raw: RawFerryConfig, file: string, where: (p: KeyPath, key?: string) => Problem['location']): FerryConfig {
  const root = path.dirname(file);
  const problems: Problem[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FerryError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  const folder = (rel: string, p: KeyPath) =>
    attempt(() => {
      const abs = resolveInside(root, rel, where(p)!);
      requireDirectory(abs, where(p)!);
      return abs;
    }) ?? path.resolve(root, rel);

  const a = raw.artifacts;
  const artifacts: FerryConfig['artifacts'] = {};
  if (a.dags) artifacts.dags = { ...a.dags, dir: folder(a.dags.path, ['artifacts', 'dags', 'path']) };
  if (a.configs) {
    const dir = folder(a.configs.path, ['artifacts', 'configs', 'path']);
    const schemaFiles = a.configs.schemas.map((s, i) => ({
      files: s.files,
      schema: attempt(() => resolveInside(root, s.schema, where(['artifacts', 'configs', 'schemas', i, 'schema'])!)) ?? s.schema,
    }));
    artifacts.configs = { ...a.configs, dir, schemaFiles };
  }
  if (a.dbt) artifacts.dbt = { ...a.dbt, dir: folder(a.dbt.path, ['artifacts', 'dbt', 'path']) };
  if (a.images) artifacts.images = a.images;
  for (const name of ['sqlfluff', 'yamllint', 'flake8', 'ruff', 'pytest'] as const) {
    raw.checks[name]?.paths.forEach((p, i) => attempt(() => resolveInside(root, p, where(['checks', name, 'paths', i])!)));
  }
  if (raw.checks.dbt?.project_dir) attempt(() => resolveInside(root, raw.checks.dbt!.project_dir!, where(['checks', 'dbt', 'project_dir'])!));

  const envs = raw.environments ?? defaultEnvironments(raw);
  const names = envs.map((e) => e.name);
  const anyProduction = envs.some((e) => e.production !== undefined);
  const environments: Environment[] = envs.map((e, index) => {
    const p: KeyPath = raw.environments ? ['environments', index] : [];
    if (names.indexOf(e.name) !== index) {
      problems.push({ code: 'FERRY_CONFIG_DUPLICATE_ENV', message: `environment "${e.name}" is listed twice`, location: where([...p, 'name']) });
    }
    if (e.requires !== undefined) {
      const pos = names.indexOf(e.requires);
      if (pos < 0 || pos >= index) {
        const earlier = [...new Set(names.slice(0, index))];
        problems.push({
          code: 'FERRY_CONFIG_REQUIRES',
          message:
            pos < 0
              ? `environment "${e.name}" requires "${e.requires}", which is not an environment.${didYouMean(e.requires, names)}`
              : `environment "${e.name}" requires "${e.requires}", which comes ${pos === index ? 'is itself' : 'after it'}; requirements must point to an earlier environment`,
          location: where([...p, 'requires']),
          hint: earlier.length ? `Earlier environments: ${earlier.join(', ')}.` : 'The first environment cannot require another.',
        });
      }
    }
    if (e.targets.dbt && !a.dbt) {
      problems.push({ code: 'FERRY_CONFIG_INVALID', message: `environment "${e.name}" has a dbt target, but artifacts.dbt is not declared`, location: where([...p, 'targets', 'dbt']), hint: 'Declare artifacts.dbt (the dbt project folder) or remove the target.' });
    }
    const targets: Environment['targets'] = {};
    for (const kind of TARGETED_KINDS) {
      const t = e.targets[kind];
      if (!t && a[kind]) {
        problems.push({
          code: 'FERRY_CONFIG_MISSING_TARGET',
          message: `environment "${e.name}" has no target for ${kind}, but artifacts.${kind} is set`,
          location: where([...p, 'targets']),
        });
      }
      if (t?.kind === 's3') {
        targets[kind] = t;
        continue;
      }
      if (t) {
        const abs = path.resolve(root, t.path);
        if (fs.existsSync(abs) && !fs.lstatSync(abs).isSymbolicLink() && !fs.statSync(abs).isDirectory()) {
          problems.push({ code: 'FERRY_PATH_NOT_DIR', message: `target ${abs} is a file, not a folder`, location: where([...p, 'targets', kind, 'path']), hint: 'Point the target at a folder, or at a path that does not exist yet (ferry creates it).' });
        }
        targets[kind] = { ...t, path: abs };
      }
    }
    return {
      name: e.name,
      index,
      requires: e.requires,
      production: anyProduction ? e.production === true : index === envs.length - 1,
      requiresApproval: e.requires_approval ?? false,
      url: e.url,
      targets,
      ...(e.targets.images ? { images: e.targets.images } : {}),
      ...(e.airflow ? { airflow: e.airflow } : {}),
      smoke: e.smoke ?? SmokeSchema.parse({}),
      ...(e.approval ? { approval: e.approval } : {}),
      freeze: e.freeze,
      ...(e.targets.dbt ? { dbt: { ...e.targets.dbt, ...(e.targets.dbt.profiles_dir ? { profilesDir: path.resolve(root, e.targets.dbt.profiles_dir) } : {}) } } : {}),
    };
  });

  if (problems.length) throw new FerryError(problems);
  return {
    file,
    root,
    project: raw.project,
    artifacts,
    environments,
    release: { store: path.resolve(root, raw.release.store), tagPrefix: raw.release.tag_prefix },
    checks: raw.checks,
  };
}

/** The named environment, or FERRY_UNKNOWN_ENV with a suggestion. */
export function getEnvironment(config: FerryConfig, name: string): Environment {
  const env = config.environments.find((e) => e.name === name);
  if (env) return env;
  const names = config.environments.map((e) => e.name);
  const guess = closest(name, names);
  return fail('FERRY_UNKNOWN_ENV', `unknown environment "${name}"${guess ? `; did you mean "${guess}"?` : ''}`, {
    location: { file: path.basename(config.file), key: 'environments' },
    hint: `Environments in ${path.basename(config.file)}: ${names.join(', ')}.`,
  });
}
