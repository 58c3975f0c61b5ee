export * from './freeze.js';
