import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { FerryError, problem, yamlMessage, type ArtifactKind, type FerryConfig, type KindPlan, type ReleaseArtifact, type StoredRelease } from '@ferry/core';
import { planDbt, readManifest, type DbtManifest, type DbtPlan } from '@ferry/dbt';
import { bundleSource, readFromBundle, writeBundle } from '../shared/bundle.js';
import { selectFiles } from '../shared/select.js';
import { compileProject } from './compile.js';
import { describeDbtPlan } from './describe.js';
import { runInvocations } from './run.js';

const BUNDLE = 'dbt.tar.gz';
const INCLUDE = ['dbt_project.yml', 'packages.yml', 'dependencies.yml', 'selectors.yml', '{models,macros,seeds,snapshots,tests,analyses}/**/*'];
const EXCLUDE = ['target/**', 'dbt_packages/**', 'logs/**', '**/.*'];

/** What a dbt artifact records beside its files (part of the release id, like the files). */
interface DbtMeta {
  /** Release path of manifest.json, when the build compiled the project. */
  manifest?: string;
  manifestVersion?: string;
  dbtVersion?: string;
}

/**
 * dbt project. The release holds its sources and, with artifacts.dbt.compile,
 * the manifest and compiled SQL that dbt wrote. A deploy diffs that manifest
 * against the one of the release the environment runs, and runs dbt only for
 * what changed, with --full-refresh only where the plan says so.
 */
export const dbtKind: ArtifactKind = {
  name: 'dbt',

  enabled: (config: FerryConfig) => Boolean(config.artifacts.dbt),

  async validate(ctx) {
    const dbt = ctx.config.artifacts.dbt!;
    const file = path.join(dbt.dir, 'dbt_project.yml');
    const where = { file: path.relative(ctx.config.root, file) };
    if (!fs.existsSync(file)) return [problem('FERRY_PATH_NOT_FOUND', `${dbt.path} has no dbt_project.yml`, { location: where })];
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    const problems = doc.errors.map((e) => problem('FERRY_CONFIG_FILE_PARSE', yamlMessage(e.message), { location: { ...where, line: e.linePos?.[0]?.line } }));
    return [...problems, ...(await selectFiles(dbt.dir, ctx.config.root, INCLUDE, EXCLUDE)).problems];
  },

  async build(ctx, releaseDir) {
    const dbt = ctx.config.artifacts.dbt!;
    const { files, problems } = await selectFiles(dbt.dir, ctx.config.root, INCLUDE, EXCLUDE);
    if (problems.length) throw new FerryError(problems);
    const compiled = dbt.compile ? await compileProject(dbt, ctx.config.root, ctx.runner) : undefined;
    const all = [...files, ...(compiled?.files ?? [])].sort();
    const { files: hashed, bundle } = await writeBundle(dbt.dir, all, path.join(releaseDir, BUNDLE));
    const meta: DbtMeta = compiled ? { manifest: compiled.files[0], manifestVersion: compiled.manifest.version, dbtVersion: compiled.manifest.dbtVersion } : {};
    return { kind: 'dbt', files: hashed, bundle, ...(compiled ? { meta: meta as Record<string, unknown> } : {}) };
  },

  async plan(_ctx, { env, release, artifact, previous, previousRelease }) {
    const base: KindPlan = { kind: 'dbt', changes: [], unchanged: 0, notes: [] };
    if (!env.dbt) {
      return { ...base, unchanged: artifact.files.length, notes: [`dbt: versioned in the release, not run in ${env.name} (it has no targets.dbt)`] };
    }
    const next = await manifestOf(release, artifact);
    if (!next) {
      return { ...base, target: `dbt:${env.dbt.target}`, notes: ['dbt: this release has no manifest (artifacts.dbt.compile is not set), so its models cannot be planned or run'] };
    }
    const prev = previous && previousRelease ? await manifestOf(previousRelease, previous) : undefined;
    const notes: string[] = [];
    if (previous && !prev) notes.push('dbt: the deployed release has no manifest, so every model is treated as new');
    const [prevVars, nextVars] = await Promise.all([previous && previousRelease ? varsOf(previousRelease, previous) : undefined, varsOf(release, artifact)]);
    const dp = planDbt(prev?.manifest, next.manifest, { prevVars, nextVars });
    const changed = new Set(dp.changes.map((c) => c.uniqueId));
    return {
      kind: 'dbt',
      target: `dbt:${env.dbt.target}`,
      changes: dp.changes.map((c) => ({
        kind: 'dbt' as const,
        path: c.uniqueId,
        action: c.change === 'added' ? ('create' as const) : c.change === 'removed' ? ('delete' as const) : ('update' as const),
        reason: `${c.category}: ${c.reasons.map((r) => r.detail).join('; ') || c.categoryReason}`,
        ...(dp.rebuild.some((r) => r.uniqueId === c.uniqueId && r.fullRefresh) ? { backfill: { reason: 'full refresh', fullRefresh: true, downstream: c.downstream.length } } : {}),
      })),
      unchanged: [...next.manifest.nodes.values()].filter((n) => !changed.has(n.uniqueId) && n.resourceType !== 'source').length,
      notes: [...notes, ...dp.notes],
      destructive: dp.rebuild.filter((r) => r.fullRefresh).map((r) => `full refresh of ${r.name}`),
      details: dp,
    };
  },

  async stage(ctx, { env, release, artifact }, kp) {
    const dp = kp.details as DbtPlan | undefined;
    const stats = { written: 0, reused: 0, removed: 0, bytesWritten: 0 };
    const nothing = async () => {};
    if (!env.dbt || !dp || dp.invocations.length === 0) return { stats, commit: nothing, abort: nothing, revert: nothing };
    // The project as released (sources and manifest), not the working tree.
    const project = await fsp.mkdtemp(path.join(os.tmpdir(), 'ferry-dbt-'));
    await bundleSource(path.join(release.dir, BUNDLE), artifact.files).extract(
      artifact.files.map((f) => f.path),
      project,
    );
    const manifest = (await manifestOf(release, artifact))!.manifest;
    const cleanup = () => fsp.rm(project, { recursive: true, force: true });
    return {
      stats,
      // dbt changes the warehouse: it runs in the commit, first of all kinds, so files switch only after the models are built.
      commit: async () => {
        try {
          await runInvocations({ project, target: env.dbt!, invocations: dp.invocations, manifest, runner: ctx.runner });
        } finally {
          await cleanup();
        }
      },
      abort: cleanup,
      revert: async () => ctx.runner.warning('dbt: models already built by this deploy stay built; the warehouse is not rolled back with the files'),
    };
  },

  async verify() {
    return [];
  },

  describePlan: (kp) => describeDbtPlan(kp),
};

/** The manifest a release's dbt artifact carries, read from its bundle (checked against the release's hashes). */
async function manifestOf(release: StoredRelease, artifact: ReleaseArtifact): Promise<{ manifest: DbtManifest } | undefined> {
  const file = (artifact.meta as DbtMeta | undefined)?.manifest;
  const entry = file ? artifact.files.find((f) => f.path === file) : undefined;
  if (!entry) return undefined;
  const data = (await readFromBundle(path.join(release.dir, BUNDLE), [entry])).get(entry.path)!;
  return { manifest: readManifest(data, { file: `${release.manifest.version}: ${entry.path}` }) };
}

/** `vars:` of the release's dbt_project.yml: a var read by a model that changed value changes the model. */
async function varsOf(release: StoredRelease, artifact: ReleaseArtifact): Promise<Record<string, unknown> | undefined> {
  const entry = artifact.files.find((f) => f.path === 'dbt_project.yml');
  if (!entry) return undefined;
  const data = (await readFromBundle(path.join(release.dir, BUNDLE), [entry])).get(entry.path)!;
  const project = parseYaml(data.toString('utf8')) as { vars?: Record<string, unknown> } | null;
  return project?.vars ?? {};
}
