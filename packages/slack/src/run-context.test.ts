import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { commitAll, git } from '../../../test/support/git-repo.js';
import { commitSubject, runContext } from './run-context.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-slack-ctx-'));
  dirs.push(d);
  return d;
}

describe('runContext', () => {
  it('builds the run URL (with the attempt after the first) and reads actor and sha', () => {
    const env = { GITHUB_REPOSITORY: 'acme/data', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_SERVER_URL: 'https://ghe.example', GITHUB_ACTOR: 'a', GITHUB_TRIGGERING_ACTOR: 'b', GITHUB_SHA: 'abc1234' };
    expect(runContext(env)).toEqual({ repository: 'acme/data', sha: 'abc1234', actor: 'b', runUrl: 'https://ghe.example/acme/data/actions/runs/42/attempts/2' });
    expect(runContext({}).runUrl).toBeUndefined();
  });
});

describe('commitSubject', () => {
  it('takes the first line from the push event, else from git, else nothing', () => {
    const repo = tmp();
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'f'), 'x');
    const sha = commitAll(repo, 'from git <!here>\n\nbody');
    const event = path.join(tmp(), 'event.json');
    fs.writeFileSync(event, JSON.stringify({ head_commit: { id: sha, message: '\nfrom the event "quoted"\nsecond' } }));
    expect(commitSubject(sha, { GITHUB_EVENT_PATH: event, GITHUB_WORKSPACE: repo })).toBe('from the event "quoted"');
    expect(commitSubject(sha, { GITHUB_WORKSPACE: repo })).toBe('from git <!here>');
    expect(commitSubject('f'.repeat(40), { GITHUB_WORKSPACE: repo })).toBeUndefined();
    expect(commitSubject('--output=/tmp/x', { GITHUB_WORKSPACE: repo })).toBeUndefined();
  });
});
