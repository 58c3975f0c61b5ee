import type { ArtifactKind, FerryConfig } from '@ferry/core';
import { configsKind } from './configs/configs-kind.js';
import { dagsKind } from './dags/dags-kind.js';
import { dbtKind } from './dbt/dbt-kind.js';
import { imagesKind } from './images/images-kind.js';

/**
 * Every artifact kind, in build and deploy order: dbt first (it changes the
 * warehouse, so files switch only once the models are built), then image
 * tags, then configs, then the DAGs that use all of them.
 */
export const KINDS: readonly ArtifactKind[] = [dbtKind, imagesKind, configsKind, dagsKind];

export function enabledKinds(config: FerryConfig): ArtifactKind[] {
  return KINDS.filter((k) => k.enabled(config));
}

export { configsKind, dagsKind, dbtKind, imagesKind };
export { filesFor as configFilesFor } from './configs/configs-kind.js';
export { bundleSource, writeBundle } from './shared/bundle.js';
export { SECRET_REF, findSecretLiterals } from './configs/secrets.js';
export { selectFiles } from './shared/select.js';
export { collectFacts, PythonFailed, PythonMissing, type ArgState, type DagFact, type FileFacts, type Position, type SyntaxErrorFact, type TopLevelCall } from './dags/facts/dag-facts.js';
export { DAG_FACTS_PY } from './dags/facts/dag-facts-script.js';
export { dagBackfills } from './dags/facts/backfill.js';
