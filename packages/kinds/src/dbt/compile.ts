import fs from 'node:fs';
import path from 'node:path';
import { FerryError, problem, runTool, ToolMissing, type DbtArtifact, type Runner } from '@ferry/core';
import { readManifest, type DbtManifest } from '@ferry/dbt';
import { selectFiles } from '../shared/select.js';

export interface Compiled {
  manifest: DbtManifest;
  /** Paths (relative to the dbt project) of target/manifest.json and every compiled SQL file. */
  files: string[];
}

/**
 * Runs the team's `dbt compile` (or `dbt parse`) in the project folder and
 * collects what it wrote: manifest.json and the compiled SQL. dbt is the
 * workflow's, not ferry's; a missing dbt or a failed compile stops the build.
 */
export async function compileProject(dbt: DbtArtifact & { dir: string }, root: string, runner: Runner): Promise<Compiled> {
  const compile = dbt.compile!;
  const target = path.join(dbt.dir, compile.target_path);
  const manifestFile = path.join(target, 'manifest.json');
  const started = Date.now();
  runner.info(`dbt: ${compile.command.join(' ')} (in ${path.relative(root, dbt.dir) || '.'})`);
  let run;
  try {
    run = await runTool(compile.command, { cwd: dbt.dir, timeoutSeconds: compile.timeout });
  } catch (e) {
    if (e instanceof ToolMissing) {
      throw new FerryError(
        problem('FERRY_TOOL_MISSING', `${e.command} is not installed, but artifacts.dbt.compile runs ${compile.command.join(' ')}`, {
          location: { file: 'ferry.yml', key: 'artifacts.dbt.compile.command' },
          hint: 'Install dbt in the workflow before this step (pip install dbt-core dbt-<adapter>), or remove artifacts.dbt.compile to version the sources only.',
        }),
      );
    }
    throw new FerryError(problem('FERRY_DBT_FAILED', `${compile.command.join(' ')}: ${(e as Error).message}`));
  }
  if (run.code !== 0) {
    const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new FerryError(problem('FERRY_DBT_FAILED', `${compile.command.join(' ')} exited with code ${run.code}:\n${tail}`, { hint: 'Fix the dbt project so it compiles (run the same command locally).' }));
  }
  if (!fs.existsSync(manifestFile) || fs.statSync(manifestFile).mtimeMs < started - 2000) {
    throw new FerryError(
      problem('FERRY_DBT_FAILED', `${compile.command.join(' ')} did not write ${path.relative(root, manifestFile)}`, {
        hint: 'Use dbt compile or dbt parse, and set artifacts.dbt.compile.target_path if the project changes target-path.',
      }),
    );
  }
  const manifest = readManifest(fs.readFileSync(manifestFile), { file: path.relative(root, manifestFile) });
  const compiled = await selectFiles(path.join(target, 'compiled'), root, ['**/*.sql'], []).catch(() => ({ files: [] as string[] }));
  const rel = (p: string) => path.posix.join(compile.target_path.split(path.sep).join('/'), p);
  return { manifest, files: [rel('manifest.json'), ...compiled.files.map((f) => rel(`compiled/${f}`))] };
}
