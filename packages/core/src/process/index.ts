export { runTool, ToolMissing, type ToolRun } from './run-tool.js';
