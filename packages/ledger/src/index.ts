export { LocalFileLedger } from './local-file.js';
export { currentDeployment, history, latestOfRelease, rollbackCandidate } from './queries.js';
export { foldEvents, type EventEntry, type LedgerEvent, type RecordBase } from './events.js';
export { GitHubLedger, type GitHubLedgerOptions } from './github.js';
