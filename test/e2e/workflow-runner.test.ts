import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { gitRepo } from '../support/git-repo.js';
import { OWNER, REPO, TOKEN, tempDir, tempDirs } from '../contract/run-action.js';
import { expectNoViolations, startGitHubServer } from '../github-server/index.js';
import { evaluate, evaluateCondition, splitTemplate } from './expressions.js';
import { expandMatrix, jobOrder, runWorkflow, WorkflowError } from './workflow-runner.js';

afterAll(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const repo = gitRepo({ 'hello.txt': 'hello\n' }, { prefix: 'ferry-e2e-unit-' });
tempDirs.push(repo);

function workflow(text: string): string {
  const f = path.join(tempDir('ferry-wf-'), 'wf.yml');
  fs.writeFileSync(f, text);
  return f;
}

const run = (text: string, extra: Partial<Parameters<typeof runWorkflow>[0]> = {}) =>
  runWorkflow({ workflow: workflow(text), repository: repo, runId: 42, apiUrl: 'http://127.0.0.1:9', ...extra });

describe('expressions (GitHub engine)', () => {
  it('splits templates, keeping }} inside quoted strings', () => {
    expect(splitTemplate("a ${{ format('{0}}}', 1) }} b")).toEqual([{ text: 'a ' }, { expr: "format('{0}}}', 1)" }, { text: ' b' }]);
  });

  it('evaluates with contexts, case-insensitive names and built-in functions', () => {
    const scope = { contexts: { inputs: { Env: 'prod' }, needs: { a: { outputs: { list: '["x","y"]' } } } } };
    expect(evaluate("inputs.env == 'PROD'", scope)).toBe(true);
    expect(evaluate('fromJSON(needs.a.outputs.list)[1]', scope)).toBe('y');
    expect(evaluate("format('{0}-{1}', inputs.env, 2)", scope)).toBe('prod-2');
  });

  it('adds the implicit success() && unless a status function is called', () => {
    const failed = { success: () => false, failure: () => true, cancelled: () => false };
    expect(evaluateCondition('true', { contexts: {}, status: failed })).toBe(false);
    expect(evaluateCondition('${{ always() }}', { contexts: {}, status: failed })).toBe(true);
    expect(evaluateCondition('failure()', { contexts: {}, status: failed })).toBe(true);
    expect(evaluateCondition(undefined, { contexts: {}, status: failed })).toBe(false);
  });
});

describe('workflow runner', () => {
  it('orders jobs by needs and refuses cycles and unknown needs', () => {
    expect(jobOrder({ c: { needs: ['a', 'b'] }, b: { needs: 'a' }, a: {} })).toEqual(['a', 'b', 'c']);
    expect(() => jobOrder({ a: { needs: 'b' }, b: { needs: 'a' } })).toThrow(/cycle through needs: a → b → a/);
    expect(() => jobOrder({ a: { needs: 'z' } })).toThrow(/needs z, which does not exist/);
  });

  it('expands a matrix with include and exclude', () => {
    expect(expandMatrix({ env: ['dev', 'prod'], n: [1, 2], exclude: [{ env: 'prod', n: 2 }], include: [{ env: 'dev', extra: 'x' }, { env: 'qa' }] })).toEqual([
      { env: 'dev', n: 1, extra: 'x' },
      { env: 'dev', n: 2, extra: 'x' },
      { env: 'prod', n: 1 },
      { env: 'qa' },
    ]);
  });

  it('runs jobs in needs order with outputs, env files, step outcomes and workflow_call inputs/outputs', async () => {
    const r = await run(`
on:
  workflow_call:
    inputs:
      greeting: { type: string, default: hi }
      loud: { type: boolean, default: false }
    outputs:
      said: { value: "\${{ jobs.second.outputs.said }}" }
env:
  LEVEL: workflow
jobs:
  second:
    needs: first
    runs-on: ubuntu-latest
    outputs:
      said: \${{ steps.say.outputs.said }}
    steps:
      - id: say
        run: echo "said=\${{ needs.first.outputs.word }} \${{ inputs.loud }}" >> "$GITHUB_OUTPUT"
  first:
    runs-on: ubuntu-latest
    env:
      LEVEL: job
    outputs:
      word: \${{ steps.w.outputs.word }}
      outcome: \${{ steps.bad.outcome }}/\${{ steps.bad.conclusion }}
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "FROM_FILE=set by step" >> "$GITHUB_ENV"
          mkdir -p bin && printf '#!/bin/sh\\necho tool-ran\\n' > bin/tool && chmod +x bin/tool
          echo "$PWD/bin" >> "$GITHUB_PATH"
          echo "## summary line" >> "$GITHUB_STEP_SUMMARY"
      - id: w
        env:
          STEP: step
        run: |
          test "$(cat hello.txt)" = hello
          echo "word=\${{ inputs.greeting }}-$LEVEL-$STEP-$FROM_FILE-$(tool)" >> "$GITHUB_OUTPUT"
      - id: bad
        continue-on-error: true
        run: exit 3
      - if: \${{ steps.bad.outcome == 'failure' }}
        run: echo "::notice title=t::after continue-on-error"
`, { inputs: { loud: true } });
    expect(r.order).toEqual(['first', 'second']);
    const first = r.jobs.find((j) => j.id === 'first')!;
    expect(first.result).toBe('success');
    expect(first.outputs).toEqual({ word: 'hi-job-step-set by step-tool-ran', outcome: 'failure/success' });
    expect(first.summary).toBe('## summary line\n');
    expect(first.steps[3]!.exitCode).toBe(3);
    expect(first.steps[4]!.commands).toEqual([expect.objectContaining({ command: 'notice', properties: { title: 't' }, message: 'after continue-on-error' })]);
    expect(r.outputs).toEqual({ said: 'hi-job-step-set by step-tool-ran true' });
    expect(r.conclusion).toBe('success');
  });

  it('skips after a failure unless if: says always() or failure(); needs see results', async () => {
    const r = await run(`
on: { workflow_call: {} }
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
      - run: echo never
      - if: failure()
        run: echo cleanup
      - if: always()
        id: last
        run: echo "x=1" >> "$GITHUB_OUTPUT"
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{ run: echo b }]
  c:
    needs: b
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ needs.b.result }}" && test "\${{ needs.b.result }}" = skipped
  d:
    needs: c
    if: failure()
    runs-on: ubuntu-latest
    steps: [{ run: echo "a failed upstream" }]
`);
    const a = r.jobs.find((j) => j.id === 'a')!;
    expect(a.steps.map((s) => s.outcome)).toEqual(['failure', 'skipped', 'success', 'success']);
    expect(a.result).toBe('failure');
    expect(r.results).toMatchObject({ a: { result: 'failure' }, b: { result: 'skipped' }, c: { result: 'success' }, d: { result: 'success' } });
    expect(r.conclusion).toBe('failure');
  });

  it('runs a matrix from a previous job output, with environments and concurrency recorded', async () => {
    const gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
    const r = await run(`
on: { workflow_call: {} }
permissions: { contents: read }
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      envs: \${{ steps.p.outputs.envs }}
    steps:
      - id: p
        run: echo 'envs=["dev","staging"]' >> "$GITHUB_OUTPUT"
  deploy:
    needs: plan
    runs-on: ubuntu-latest
    permissions: { deployments: write }
    strategy:
      matrix:
        env: \${{ fromJSON(needs.plan.outputs.envs) }}
    environment:
      name: \${{ matrix.env }}
      url: https://\${{ matrix.env }}.example.com/\${{ steps.d.outputs.v }}
    concurrency: { group: "ferry-\${{ matrix.env }}", cancel-in-progress: false }
    steps:
      - id: d
        run: echo "v=$RUNNER_OS-\${{ runner.os }}-\${{ github.run_id }}" >> "$GITHUB_OUTPUT"
`, { github: gh, apiUrl: gh.url }).finally(() => gh.close());
    const legs = r.jobs.filter((j) => j.id === 'deploy');
    const [dev, staging] = gh.state.deployments;
    expect(legs.map((l) => [l.name, l.environment, l.concurrency])).toEqual([
      ['deploy (dev)', { name: 'dev', url: 'https://dev.example.com/Linux-Linux-42', deploymentId: dev!.id }, { group: 'ferry-dev', cancelInProgress: false }],
      ['deploy (staging)', { name: 'staging', url: 'https://staging.example.com/Linux-Linux-42', deploymentId: staging!.id }, { group: 'ferry-staging', cancelInProgress: false }],
    ]);
    expect(legs[0]!.permissions).toEqual({ deployments: 'write' });
    // As on GitHub: the job's deployment, in_progress while it runs, then success with the environment url when it ends.
    expect([dev, staging].map((d) => [d!.environment, d!.creator.login, d!.statuses.map((x) => [x.state, x.environmentUrl ?? ''])])).toEqual([
      ['dev', 'github-actions[bot]', [['in_progress', ''], ['success', 'https://dev.example.com/Linux-Linux-42']]],
      ['staging', 'github-actions[bot]', [['in_progress', ''], ['success', 'https://staging.example.com/Linux-Linux-42']]],
    ]);
    expectNoViolations(gh);
  });

  it('cancels the remaining matrix legs after a failure unless fail-fast is false', async () => {
    const wf = (failFast: boolean) => `
on: { workflow_call: {} }
jobs:
  m:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: ${failFast}
      matrix: { n: [1, 2, 3] }
    steps:
      - run: test "\${{ matrix.n }}" != 1
`;
    expect((await run(wf(true))).jobs.map((j) => j.result)).toEqual(['failure', 'cancelled', 'cancelled']);
    const loose = await run(wf(false));
    expect(loose.jobs.map((j) => j.result)).toEqual(['failure', 'success', 'success']);
    expect(loose.results.m!.result).toBe('failure');
  });

  it('passes artifacts between jobs by name', async () => {
    const r = await run(`
on: { workflow_call: {} }
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out/sub && echo data > out/sub/f.txt
      - uses: actions/upload-artifact@v4
        with: { name: rel, path: out }
  down:
    needs: up
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with: { name: rel, path: got }
      - run: test "$(cat got/sub/f.txt)" = data
      - uses: actions/download-artifact@v4
        continue-on-error: true
        with: { name: missing }
`);
    expect(r.results.down!.result).toBe('success');
    const down = r.jobs.find((j) => j.id === 'down')!;
    expect(down.steps[2]!.outcome).toBe('failure');
  });

  it('refuses actions it does not run, by name', async () => {
    await expect(
      run(`
on: { workflow_call: {} }
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
`),
    ).rejects.toThrow(/job a uses actions\/setup-node@v4, which this runner does not run/);
    await expect(run(`on: { workflow_call: { inputs: { x: { type: boolean } } } }\njobs: { a: { runs-on: x, steps: [{ run: 'true' }] } }`, { inputs: { x: 'yes' } })).rejects.toThrow(WorkflowError);
    await expect(run(`on: { workflow_call: {} }\njobs: { a: { runs-on: x, steps: [{ run: 'true' }] } }`, { inputs: { y: '1' } })).rejects.toThrow(/input y, which on.workflow_call.inputs does not declare/);
  });
});
