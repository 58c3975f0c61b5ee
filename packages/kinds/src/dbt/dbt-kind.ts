import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { FerryError, problem, yamlMessage, type ArtifactKind, type FerryConfig } from '@ferry/core';
import { writeBundle } from '../shared/bundle.js';
import { selectFiles } from '../shared/select.js';

const BUNDLE = 'dbt.tar.gz';
const INCLUDE = ['dbt_project.yml', 'packages.yml', 'dependencies.yml', 'selectors.yml', '{models,macros,seeds,snapshots,tests,analyses}/**/*'];
const EXCLUDE = ['target/**', 'dbt_packages/**', 'logs/**', '**/.*'];

/**
 * dbt project. In this version the project's sources are versioned in the
 * release (hashed like every file) but not run: running dbt per environment,
 * state diffs and backfill plans arrive with dbt execution.
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
    const { files: hashed, bundle } = await writeBundle(dbt.dir, files, path.join(releaseDir, BUNDLE));
    return { kind: 'dbt', files: hashed, bundle };
  },

  async plan(_ctx, { artifact, previous }) {
    const before = new Map(previous?.files.map((f) => [f.path, f.sha256]));
    const changed = artifact.files.filter((f) => before.get(f.path) !== f.sha256).length + [...before.keys()].filter((p) => !artifact.files.some((f) => f.path === p)).length;
    return {
      kind: 'dbt',
      changes: [],
      unchanged: artifact.files.length,
      notes: [`dbt: ${changed} project file(s) differ from the deployed release; versioned in the release, not run (dbt execution is not in this version of ferry)`],
    };
  },

  async stage() {
    const nothing = async () => {};
    return { stats: { written: 0, reused: 0, removed: 0, bytesWritten: 0 }, commit: nothing, abort: nothing, revert: nothing };
  },

  async verify() {
    return [];
  },
};
