import path from 'node:path';
import { FerryError, problem, type ArtifactKind, type FerryConfig, type KindContext, type Problem } from '@ferry/core';
import { createTarget } from '@ferry/targets';
import { bundleSource, writeBundle } from '../shared/bundle.js';
import { planFiles, verifyFiles } from '../shared/file-tree.js';
import { selectFiles } from '../shared/select.js';
import { targetFor } from '../shared/target-for.js';
import { addDagBackfills, dagBackfillMarkdown } from './facts/plan-backfills.js';

const BUNDLE = 'dags.tar.gz';

/** Airflow DAG folder: shipped as one bundle, deployed file by file to the environment's DAG target. */
export const dagsKind: ArtifactKind = {
  name: 'dags',

  enabled: (config: FerryConfig) => Boolean(config.artifacts.dags),

  async validate(ctx: KindContext): Promise<Problem[]> {
    const { problems, files } = await select(ctx.config);
    if (files.length === 0 && problems.length === 0) {
      problems.push(
        problem('FERRY_PATH_NOT_FOUND', `no files in ${ctx.config.artifacts.dags!.path} match the include globs`, {
          location: { file: path.basename(ctx.config.file), key: 'artifacts.dags.include' },
          hint: 'Add DAG files to the folder, or fix artifacts.dags.include / exclude.',
        }),
      );
    }
    return problems;
  },

  async build(ctx, releaseDir) {
    const dags = ctx.config.artifacts.dags!;
    const { files, problems } = await select(ctx.config);
    if (problems.length) throw new FerryError(problems);
    ctx.runner.debug(`dags: hashing ${files.length} files from ${dags.path}`);
    const { files: hashed, bundle } = await writeBundle(dags.dir, files, path.join(releaseDir, BUNDLE), (done, total) => ctx.runner.progress('bundle dags', done, total));
    return { kind: 'dags', files: hashed, bundle };
  },

  async plan(ctx, { env, release, artifact, previous, previousRelease }) {
    const target = createTarget(targetFor(env, 'dags'));
    const state = await target.state();
    const before = previous ? new Map(previous.files.map((f) => [f.path, f.sha256])) : state.releaseId ? state.files : undefined;
    const kp = planFiles('dags', artifact.files, before, target, [], state.notes);
    // DAGs whose schedule, start_date or catchup changed: the backfill each would need.
    if (previous && previousRelease) {
      const hour = new Date();
      hour.setUTCMinutes(0, 0, 0);
      await addDagBackfills(ctx, kp, { bundle: BUNDLE, release, artifact, previousRelease, previous }, hour);
    }
    return kp;
  },

  describePlan(kp) {
    return { markdown: dagBackfillMarkdown(kp), text: [] };
  },

  async stage(ctx, { env, release, artifact }) {
    const target = createTarget(targetFor(env, 'dags'));
    return target.stage(bundleSource(path.join(release.dir, BUNDLE), artifact.files), release.manifest.id, ctx.runner);
  },

  async verify(ctx, { env, release, artifact }) {
    const target = createTarget(targetFor(env, 'dags'));
    return verifyFiles('dags', target, release.manifest.id, new Map(artifact.files.map((f) => [f.path, f.sha256])));
  },
};

function select(config: FerryConfig) {
  const dags = config.artifacts.dags!;
  return selectFiles(dags.dir, config.root, dags.include, dags.exclude);
}
