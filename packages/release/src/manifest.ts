import { canonicalJson, RELEASE_FORMAT, sha256, type ReleaseArtifact, type ReleaseManifest } from '@ferry/core';

/** The part of a release that is its content, and so its identity. */
export function releaseContent(project: string, artifacts: readonly ReleaseArtifact[]): unknown {
  return {
    format: RELEASE_FORMAT,
    project,
    artifacts: [...artifacts]
      .sort((a, b) => (a.kind < b.kind ? -1 : 1))
      .map((a) => ({ kind: a.kind, files: a.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })), ...(a.meta ? { meta: a.meta } : {}) })),
  };
}

export function releaseId(project: string, artifacts: readonly ReleaseArtifact[]): string {
  return sha256(canonicalJson(releaseContent(project, artifacts)));
}

/** A release's display name: `2026.11.26-1a2b3c4` from the commit date and short hash. */
export function defaultVersion(date: string, commit: string): string {
  return `${date.replace(/-/g, '.')}-${commit.slice(0, 7)}`;
}

export function shortId(m: Pick<ReleaseManifest, 'id'> | string): string {
  return (typeof m === 'string' ? m : m.id).slice(0, 12);
}
