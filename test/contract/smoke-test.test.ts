import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { runAction } from './run-action.js';
import { exampleWorkspace, SECRETS, useGitHubServer } from './workspace.js';

jest.setTimeout(60_000);
const gh = useGitHubServer();

describe('smoke-test (committed bundle)', () => {
  it('fails an environment whose target drifted, records it, and the failure blocks promotion', async () => {
    const cwd = exampleWorkspace();
    const run = (name: string, inputs: Record<string, string>) => runAction(name, { cwd, apiUrl: gh().url, inputs });
    const b = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': b.outputs['release-path']!, secrets: JSON.stringify(SECRETS) })).code).toBe(0);

    // Someone edits a DAG on the server by hand.
    fs.appendFileSync(path.join(cwd, '.ferry/targets/staging/dags/weekly_kpi_report.py'), '\n# hotfix\n');
    const smoke = await run('smoke-test', { environment: 'staging' });
    expect(smoke.code).toBe(1);
    expect(smoke.outputs).toMatchObject({ verified: 'false', 'rollback-recommended': 'true', 'release-id': b.outputs['release-id'] });
    expect(smoke.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_TARGET_DRIFT' && c.message.includes('weekly_kpi_report.py'))).toBe(true);
    expect(smoke.summary).toContain('### ferry smoke-test: staging FAILED');
    expect(gh().state.deployments[0]!.statuses.at(-1)!.description).toMatch(/^\[ferry:verify-failed\]/);

    const prod = await run('deploy-env', { environment: 'prod', 'release-path': b.outputs['release-path']!, secrets: JSON.stringify(SECRETS) });
    expect(prod.code).toBe(1);
    expect(prod.commands.some((c) => c.command === 'error' && c.message.includes('failed verification'))).toBe(true);
  });

  it('refuses an environment with no deployment: FERRY_NOT_DEPLOYED', async () => {
    const r = await runAction('smoke-test', { cwd: exampleWorkspace(), apiUrl: gh().url, inputs: { environment: 'dev' } });
    expect(r.code).toBe(1);
    expect(r.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_NOT_DEPLOYED')).toBe(true);
    expect(r.outputs).toEqual({});
  });
});
