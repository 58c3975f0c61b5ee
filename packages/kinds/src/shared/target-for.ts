import { fail, type Environment, type ResolvedTarget, type TargetedKind } from '@ferry/core';

export function targetFor(env: Environment, kind: TargetedKind): ResolvedTarget {
  return env.targets[kind] ?? fail('FERRY_CONFIG_MISSING_TARGET', `environment "${env.name}" has no target for ${kind}`);
}
