import fs from 'node:fs';
import path from 'node:path';
import { FerryError, problem, runTool, ToolMissing, type DbtTargetConfig, type Problem, type Runner } from '@ferry/core';
import { readRunResults, type DbtInvocation, type DbtManifest } from '@ferry/dbt';

const FAILED = new Set(['error', 'fail', 'runtime error']);

/**
 * Runs the plan's dbt invocations in order against one environment, from the
 * release's own copy of the project. Stops at the first invocation with a
 * failing model or test and fails with one problem per failing node (the
 * action shows them as a table). What dbt already built stays built: dbt
 * changes the warehouse, which no rollback of files can undo.
 */
export async function runInvocations(opts: {
  project: string;
  target: DbtTargetConfig & { profilesDir?: string };
  invocations: DbtInvocation[];
  manifest: DbtManifest;
  runner: Runner;
}): Promise<{ passed: number }> {
  const { project, target, runner } = opts;
  const common = ['--target', target.target, '--project-dir', project, ...(target.profilesDir ? ['--profiles-dir', target.profilesDir] : []), ...target.args];
  const run = async (args: string[]) => {
    const argv = [...target.command, ...args, ...common];
    runner.info(`dbt: ${argv.join(' ')}`);
    try {
      return await runTool(argv, { cwd: project, timeoutSeconds: target.timeout });
    } catch (e) {
      if (e instanceof ToolMissing) {
        throw new FerryError(problem('FERRY_TOOL_MISSING', `${e.command} is not installed, but this environment runs dbt (targets.dbt)`, { hint: 'Install dbt in the deploy job (pip install dbt-core dbt-<adapter>), or set targets.dbt.command.' }));
      }
      throw new FerryError(problem('FERRY_DBT_FAILED', `${argv.join(' ')}: ${(e as Error).message}`));
    }
  };
  if (['packages.yml', 'dependencies.yml'].some((f) => fs.existsSync(path.join(project, f)))) {
    const deps = await run(['deps']);
    if (deps.code !== 0) throw new FerryError(problem('FERRY_DBT_FAILED', `dbt deps exited with code ${deps.code}: ${tail(deps.stdout, deps.stderr)}`));
  }
  let passed = 0;
  for (const inv of opts.invocations) {
    const started = Date.now();
    const result = await run(inv.args);
    const file = path.join(project, 'target', 'run_results.json');
    if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < started - 2000) {
      throw new FerryError(problem('FERRY_DBT_FAILED', `dbt ${inv.args[0]} exited with code ${result.code} without writing target/run_results.json: ${tail(result.stdout, result.stderr)}`));
    }
    const rr = readRunResults(fs.readFileSync(file), { file: 'target/run_results.json' });
    const failed = rr.results.filter((r) => FAILED.has(r.status));
    passed += rr.results.length - failed.length;
    runner.info(`dbt ${inv.args[0]}${inv.fullRefresh ? ' --full-refresh' : ''}: ${rr.results.length - failed.length} passed, ${failed.length} failed`);
    if (failed.length) {
      const problems: Problem[] = failed.map((r) => {
        const node = opts.manifest.nodes.get(r.uniqueId);
        const what = `${node?.resourceType ?? 'node'} ${node?.name ?? r.uniqueId}`;
        return problem('FERRY_DBT_RUN_FAILED', `${what}: ${r.status}${r.failures ? ` (${r.failures} failing rows)` : ''}${r.message ? `: ${r.message}` : ''}`, {
          ...(node?.path ? { location: { file: node.path } } : {}),
          hint: 'The models dbt built before this one stay built; fix the model and deploy again, or roll back the files (the warehouse is not rolled back).',
        });
      });
      throw new FerryError(problems);
    }
    if (result.code !== 0) throw new FerryError(problem('FERRY_DBT_FAILED', `dbt ${inv.args[0]} exited with code ${result.code} though every node passed: ${tail(result.stdout, result.stderr)}`));
  }
  return { passed };
}

function tail(stdout: string, stderr: string): string {
  return `${stdout}\n${stderr}`.trim().split('\n').slice(-10).join('\n');
}
