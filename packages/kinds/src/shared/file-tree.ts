import type { Change, KindName, KindPlan, Problem, ReleaseFile, Target } from '@ferry/core';

/**
 * Plan for kinds that deploy a tree of files (DAGs, configs): compare the
 * files the environment should hold with those of the release it runs now.
 */
export function planFiles(
  kind: KindName,
  wanted: readonly ReleaseFile[],
  before: ReadonlyMap<string, string> | undefined,
  target: Target,
  notes: string[] = [],
  warnings: string[] = [],
): KindPlan {
  const changes: Change[] = [];
  let unchanged = 0;
  const now = new Set<string>();
  for (const f of wanted) {
    now.add(f.path);
    const old = before?.get(f.path);
    if (old === undefined) changes.push({ kind, path: f.path, action: 'create', reason: before ? 'new file' : 'first deploy', after: f.sha256 });
    else if (old !== f.sha256) changes.push({ kind, path: f.path, action: 'update', reason: 'content changed', before: old, after: f.sha256 });
    else unchanged++;
  }
  for (const [p, sha] of before ?? []) {
    if (!now.has(p)) changes.push({ kind, path: p, action: 'delete', reason: 'not in this release', before: sha });
  }
  if (changes.length === 0) changes.push({ kind, path: '', action: 'noop', reason: `all ${unchanged} files already deployed` });
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { kind, target: target.description, changes, unchanged, notes, ...(warnings.length ? { warnings } : {}) };
}

/**
 * Problems with what a target holds: its marker must name the release, and
 * the files actually there must be exactly `expected` (path -> sha256, or
 * null where the content is rendered at deploy time and only its presence
 * and the marker's hash can be checked).
 */
export async function verifyFiles(kind: KindName, target: Target, releaseId: string, expected: ReadonlyMap<string, string | null>): Promise<Problem[]> {
  const problems: Problem[] = [];
  const state = await target.state();
  const where = { file: target.description };
  if (state.releaseId !== releaseId) {
    problems.push({
      code: 'FERRY_TARGET_DRIFT',
      message: `${kind}: ${target.description} holds release ${state.releaseId?.slice(0, 12) ?? '(none)'}, expected ${releaseId.slice(0, 12)}`,
      location: where,
    });
    return problems;
  }
  const actual = await target.scan();
  const diffs: string[] = [];
  for (const [p, sha] of expected) {
    const got = actual.get(p);
    const want = sha ?? state.files.get(p);
    if (got === undefined) diffs.push(`missing ${p}`);
    else if (got !== want) diffs.push(`changed ${p}`);
  }
  for (const p of actual.keys()) if (!expected.has(p)) diffs.push(`unexpected ${p}`);
  if (diffs.length) {
    problems.push({
      code: 'FERRY_TARGET_DRIFT',
      message: `${kind}: ${target.description} differs from release ${releaseId.slice(0, 12)}: ${diffs.slice(0, 10).join(', ')}${diffs.length > 10 ? ` and ${diffs.length - 10} more` : ''}`,
      location: where,
    });
  }
  return problems;
}
