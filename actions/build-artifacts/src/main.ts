import path from 'node:path';
import { runAction } from '@ferry/actions-runner';
import { loadConfig } from '@ferry/core';
import { createClient, githubContext } from '@ferry/github';
import { buildRelease, GitHubReleaseStore, LocalReleaseStore, tagName, tagRelease } from '@ferry/release';
import { readSettings } from './input-helper.js';
import { releaseSummary } from './summary.js';

await runAction('build-artifacts', async (runner) => {
  const s = readSettings();
  const config = loadConfig(path.resolve(s.configPath));
  const secret = () => undefined; // builds never resolve secrets
  const built = await buildRelease({ config, runner, secret }, { version: s.version });
  const m = built.manifest;
  const tag = s.tag ? await tagRelease(config.root, m, { prefix: config.release.tagPrefix, token: s.token }, runner) : undefined;
  if (s.githubRelease) {
    const ctx = githubContext();
    const store = new GitHubReleaseStore(createClient(s.token ?? '', ctx.apiUrl), ctx, new LocalReleaseStore(config.release.store), (v) => tagName(config.project, v, config.release.tagPrefix), runner);
    await store.put(built);
  }
  runner.setOutput('release-id', m.id);
  runner.setOutput('release-path', built.dir);
  runner.setOutput('version', m.version);
  runner.setOutput('tag', tag ?? '');
  runner.setOutput('created', String(built.created));
  runner.appendSummary(releaseSummary(m, built.dir, built.created, tag));
  runner.info(`release ${m.id} (${m.version}) at ${built.dir}`);
});
