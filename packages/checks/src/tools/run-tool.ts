import { execFile } from 'node:child_process';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class ToolMissing extends Error {
  constructor(readonly command: string) {
    super(`${command} is not installed (not found on PATH)`);
  }
}

/**
 * Runs a tool without a shell (argv only, so paths and arguments from
 * ferry.yml are never interpreted), collecting its output. A non-zero exit is
 * a result, not an error: linters exit 1 when they find something.
 */
export function runTool(argv: string[], opts: { cwd: string; timeoutSeconds?: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<ToolRun> {
  const [command, ...args] = argv;
  if (!command) throw new Error('runTool needs a command');
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 256 << 20, timeout: (opts.timeoutSeconds ?? 600) * 1000, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
        if (e && e.code === 'ENOENT') return reject(new ToolMissing(command));
        if (e && e.killed) return reject(new Error(`${command} did not finish within ${opts.timeoutSeconds ?? 600} s and was stopped`));
        resolve({ code: typeof e?.code === 'number' ? e.code : e ? 1 : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
