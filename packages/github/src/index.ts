export { githubContext, runUrl, type GitHubContext } from './context.js';
export { createClient, githubError, type GitHubClient } from './client.js';
export { pullRequestNumber, upsertComment } from './pr-comment.js';
