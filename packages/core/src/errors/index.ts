export * from './codes.js';
export * from './ferry-error.js';
