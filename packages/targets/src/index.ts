import { fail, type ResolvedTarget, type Target } from '@ferry/core';
import { LocalDirTarget } from './local-dir.js';

export { LocalDirTarget, MARKER } from './local-dir.js';
export { memorySource } from './memory-source.js';

/** The Target implementation for a target entry of ferry.yml. */
export function createTarget(config: ResolvedTarget): Target {
  switch (config.kind) {
    case 'local':
      return new LocalDirTarget(config.path, config.keep);
    case 's3':
      return fail('FERRY_NOT_IMPLEMENTED', 'S3 targets are being built');
  }
}
