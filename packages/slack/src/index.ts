export { escapeText, plainText, safeText, truncateEscaped } from './escape.js';
export { buildMessage, EVENT_STYLE, EVENTS, isMentionId, LIMITS, mentionMarkup, planLine, type Block, type Notification, type NotifyEvent, type PlanCounts, type SlackMessage } from './message.js';
export { planCounts, readPlanCounts } from './plan-summary.js';
export { DEFAULT_API_URL, isUpdateImpossible, postMessage, sendWebhook, SlackError, slackError, updateMessage, type ApiTarget, type PostedMessage, type TransportOptions } from './client.js';
export { commitSubject, runContext, type RunContext } from './run-context.js';
export { sendMessage, type SendResult, type SlackDestination } from './notify.js';
