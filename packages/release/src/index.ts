export { buildRelease, validateAll, type BuildOptions, type BuildResult } from './build.js';
export { gitInfo, git, type GitInfo } from './git.js';
export { releaseId, releaseContent, defaultVersion, shortId } from './manifest.js';
export { LocalReleaseStore, openRelease, MANIFEST, type ReleaseStore } from './store.js';
export { tagRelease, tagName, type TagOptions } from './tag.js';
export { GitHubReleaseStore } from './github-store.js';
