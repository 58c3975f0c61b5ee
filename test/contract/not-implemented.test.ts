import { describe, expect, it } from '@jest/globals';
import { runAction } from './run-action.js';
import { exampleWorkspace, useGitHubServer } from './workspace.js';

const gh = useGitHubServer();

describe('actions not implemented yet fail loudly (committed bundles)', () => {
  it.each([
    ['require-approval', { environment: 'prod' }],
  ])('%s: exit 1, an ::error:: saying "not implemented", no outputs', async (name, inputs) => {
    const r = await runAction(name, { cwd: exampleWorkspace(), apiUrl: gh().url, inputs });
    expect(r.code).toBe(1);
    const errors = r.commands.filter((c) => c.command === 'error');
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.message).toContain(`${name} is not implemented`);
    expect(errors.some((e) => e.properties.title === 'FERRY_NOT_IMPLEMENTED')).toBe(true);
    expect(r.outputs).toEqual({});
    expect(r.summary).toContain('FERRY_NOT_IMPLEMENTED');
    expect(gh().requests).toEqual([]);
  });
});
