export type { AirflowApi, AirflowClient, BackfillOutcome, BackfillRequest, ConnectionInput, DagInfo, DagRunInfo, ImportErrorInfo } from './types.js';
export { connectAirflow, detectApi, resolveCredentials, type ConnectOptions } from './connect.js';
export { createAuth, type Auth, type Credentials } from './auth.js';
export { Http, realSleep, type Fetch, type Sleep } from './http.js';
export { AirflowV1Client } from './v1.js';
export { AirflowV2Client } from './v2.js';
export { backfillRunId } from './base.js';
export { logicalDates } from './schedule.js';
