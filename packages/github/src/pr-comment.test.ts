import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../../../test/github-server/index.js';
import { createClient } from './client.js';
import { pullRequestNumber, upsertComment } from './pr-comment.js';

let gh: GitHubServer | undefined;
afterEach(async () => {
  if (!gh) return;
  await gh.close();
  expectNoViolations(gh);
  gh = undefined;
});

describe('plan comments on pull requests', () => {
  it('creates one comment per key and updates it on every push, even past the first page of comments', async () => {
    gh = await startGitHubServer({ owner: 'acme', repo: 'data', token: 't' });
    const client = createClient('t', gh.url);
    const ctx = { owner: 'acme', repo: 'data', serverUrl: 'https://github.com', apiUrl: gh.url };
    const { data: pr } = await client.rest.issues.create({ owner: 'acme', repo: 'data', title: 'feature' });
    for (let i = 0; i < 120; i++) await client.rest.issues.createComment({ owner: 'acme', repo: 'data', issue_number: pr.number, body: `chatter ${i}` });

    const first = await upsertComment(client, ctx, pr.number, 'plan data-platform prod', 'plan v1');
    expect(first.created).toBe(true);
    const second = await upsertComment(client, ctx, pr.number, 'plan data-platform prod', 'plan v2');
    expect(second).toEqual({ url: first.url, created: false });
    const other = await upsertComment(client, ctx, pr.number, 'plan data-platform staging', 'staging plan');
    expect(other.created).toBe(true);

    const all = await client.paginate(client.rest.issues.listComments, { owner: 'acme', repo: 'data', issue_number: pr.number, per_page: 100 });
    const ours = all.filter((c) => c.body?.startsWith('<!-- ferry:'));
    expect(ours.map((c) => c.body)).toEqual(['<!-- ferry:plan data-platform prod -->\nplan v2', '<!-- ferry:plan data-platform staging -->\nstaging plan']);
  });

  it('finds the pull request of the run from its event file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-event-'));
    const write = (event: object) => {
      fs.writeFileSync(path.join(dir, 'event.json'), JSON.stringify(event));
      return path.join(dir, 'event.json');
    };
    expect(pullRequestNumber(write({ pull_request: { number: 42 } }))).toBe(42);
    expect(pullRequestNumber(write({ issue: { number: 7, pull_request: { url: 'x' } } }))).toBe(7);
    expect(pullRequestNumber(write({ issue: { number: 7 } }))).toBeUndefined();
    expect(pullRequestNumber(write({ ref: 'refs/heads/main' }))).toBeUndefined();
    expect(pullRequestNumber(undefined)).toBeUndefined();
  });
});
