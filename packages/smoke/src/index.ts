export { smokeTest, type SmokeOptions } from './smoke.js';
export { rollbackRunbook, smokeMarkdown, smokeProblems, smokeText, writeReport } from './report.js';
export type { CheckGroup, CheckResult, SmokeReport } from './types.js';
export type { SmokeContext, SmokeRuntime } from './checks/context.js';
export { connectPostgres, ENGINES, type ColumnInfo, type ConnectOptions, type Warehouse, type WarehouseEngine } from './warehouse.js';
export { checkContracts, compileTests, normaliseType, releaseManifest, sameType, type CompiledTest, type RawManifest } from './dbt.js';
export { SecretResolver } from './secrets.js';
