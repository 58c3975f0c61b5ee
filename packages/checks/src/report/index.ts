export { reportMarkdown, headline } from './markdown.js';
export { reportText, type Paint } from './text.js';
export { reportJunit } from './junit.js';
export { pickAnnotations } from './annotations.js';
