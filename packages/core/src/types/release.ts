import type { KindName } from '../config/schema.js';

export const RELEASE_FORMAT = 'ferry.release/v1';

/** One file a target receives: POSIX path relative to the artifact root. */
export interface ReleaseFile {
  path: string;
  sha256: string;
  size: number;
}

export interface ReleaseArtifact {
  kind: KindName;
  /** Everything the kind ships, sorted by path. Part of the release id. */
  files: ReleaseFile[];
  /** The archive holding `files` inside the release folder (integrity only: not part of the id). */
  bundle?: ReleaseFile;
  /** Kind-specific facts that are part of the content (e.g. pinned image digests). */
  meta?: Record<string, unknown>;
}

/**
 * release.json. `id` is the sha256 of the canonical JSON of
 * `{format, project, artifacts[kind, files, meta]}`: the same content always
 * gives the same id, whatever commit, time or machine built it; provenance
 * (git, version, builtAt) is recorded beside it but is not part of the id.
 */
export interface ReleaseManifest {
  format: typeof RELEASE_FORMAT;
  id: string;
  project: string;
  version: string;
  git: { commit: string; ref: string; dirty: boolean };
  builtAt: string;
  artifacts: ReleaseArtifact[];
}
