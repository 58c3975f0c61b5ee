export * from './schema.js';
export * from './load.js';
export { closest, didYouMean, editDistance } from './suggest.js';
export { formatKeyPath } from './locate.js';
export { schemaFileContent } from './json-schema.js';
export * from './checks-schema.js';
export * from './gates-schema.js';
