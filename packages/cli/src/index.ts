export { main, type Cli } from './main.js';
export { CliRunner, type Io } from './cli-runner.js';
