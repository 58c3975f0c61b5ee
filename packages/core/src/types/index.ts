export * from './release.js';
export * from './plan.js';
export * from './target.js';
export * from './ledger.js';
export * from './kind.js';
