import { describe, expect, it } from '@jest/globals';
import { runAction } from './run-action.js';
import { exampleWorkspace, useGitHubServer } from './workspace.js';

const gh = useGitHubServer();

describe('bad inputs are refused with FERRY_INPUT before anything happens (committed bundles)', () => {
  it.each([
    ['deploy-env', { environment: 'dev', 'release-path': '.ferry/releases/x', 'dry-run': 'maybe' }, 'input "dry-run" must be true or false, got "maybe"'],
    ['deploy-env', { environment: 'dev', rollback: 'true', 'release-id': 'abcd' }, 'rollback: true redeploys an earlier release'],
    ['deploy-env', { environment: 'dev', 'release-id': 'abcd', secrets: '{"WAREHOUSE_PASSWORD": "hunter2-sekrit",' }, 'input "secrets" is not valid JSON (its content is not shown)'],
    ['deploy-env', { environment: 'dev', backfill: 'true', 'release-id': 'abcd' }, 'backfill: true runs the backfills of the release the environment already runs'],
    ['smoke-test', { environment: 'dev', ledger: 's3' }, 'input "ledger" must be one of github, local, got "s3"'],
    ['build-artifacts', { tag: 'yes please' }, 'input "tag" must be true or false'],
  ])('%s %j', async (name, inputs, message) => {
    const cwd = exampleWorkspace();
    const r = await runAction(name, { cwd, apiUrl: gh().url, inputs });
    expect(r.code).toBe(1);
    const errors = r.commands.filter((c) => c.command === 'error').map((c) => c.message);
    expect(errors.some((m) => m.includes('FERRY_INPUT') && m.includes(message))).toBe(true);
    expect(r.stdout + r.summary).not.toContain('hunter2-sekrit');
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(r.outputs).toEqual({});
    expect(gh().requests).toEqual([]);
  });
});
