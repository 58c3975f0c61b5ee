import { spawn } from 'node:child_process';

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

const MAX_OUTPUT = 256 << 20;

/**
 * Runs a tool without a shell (argv only, so paths and arguments from
 * ferry.yml are never interpreted), collecting its output. A non-zero exit is
 * a result, not an error: linters exit 1 when they find something. The tool
 * runs in its own process group so a timeout stops everything it started.
 */
export function runTool(argv: string[], opts: { cwd: string; timeoutSeconds?: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<ToolRun> {
  const [command, ...args] = argv;
  if (!command) throw new Error('runTool needs a command');
  const timeout = opts.timeoutSeconds ?? 600;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const keep = (into: Buffer[]) => (c: Buffer) => {
      size += c.length;
      if (size <= MAX_OUTPUT) into.push(c);
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeout * 1000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new ToolMissing(command) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`${command} did not finish within ${timeout} s and was stopped`));
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // a tool that does not read its input closes the pipe early
    child.stdin.end(opts.input ?? '');
  });
}
