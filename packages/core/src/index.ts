export * from './errors/index.js';
export * from './runner/index.js';
export * from './fs/index.js';
export * from './config/index.js';
export * from './types/index.js';
export * from './process/index.js';
export * from './secrets/secrets.js';
