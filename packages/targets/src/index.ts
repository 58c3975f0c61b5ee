import { type ResolvedTarget, type Target } from '@ferry/core';
import { LocalDirTarget } from './local-dir.js';
import { S3Target } from './s3/s3-target.js';

export { LocalDirTarget, MARKER } from './local-dir.js';
export { memorySource } from './memory-source.js';
export { S3Target, SHA256_METADATA, type S3TargetOptions, type S3TargetInternals } from './s3/s3-target.js';
export { MARKER_PATH as S3_MARKER_PATH } from './s3/keys.js';
export type { S3Marker } from './s3/marker.js';

/** The Target implementation for a target entry of ferry.yml. */
export function createTarget(config: ResolvedTarget): Target {
  switch (config.kind) {
    case 'local':
      return new LocalDirTarget(config.path, config.keep);
    case 's3':
      return new S3Target(config);
  }
}
