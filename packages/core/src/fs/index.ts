export * from './paths.js';
export * from './hash.js';
export * from './atomic.js';
export * from './walk.js';
