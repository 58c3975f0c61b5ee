import path from 'node:path';
import { FerryError, problem, type ArtifactKind, type FerryConfig } from '@ferry/core';

const notYet = (config: FerryConfig) =>
  problem('FERRY_KIND_NOT_IMPLEMENTED', 'artifacts.images: pinning and promoting images by digest is not implemented in this version of ferry', {
    location: { file: path.basename(config.file), key: 'artifacts.images' },
  });

const refuse = async (ctx: { config: FerryConfig }): Promise<never> => {
  throw new FerryError(notYet(ctx.config));
};

/** Docker images by digest: part of ferry.yml's schema, refused until the registry client lands. */
export const imagesKind: ArtifactKind = {
  name: 'images',
  enabled: (config) => Boolean(config.artifacts.images?.length),
  validate: async (ctx) => [notYet(ctx.config)],
  build: refuse,
  plan: refuse,
  stage: refuse,
  verify: async (ctx) => [notYet(ctx.config)],
};
