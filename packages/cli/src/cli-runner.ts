import type { Annotation, Runner } from '@ferry/core';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  color: boolean;
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
  color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
});

const paint = (on: boolean, code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
export const colors = (io: Io) => ({
  dim: (s: string) => paint(io.color, 2, s),
  bold: (s: string) => paint(io.color, 1, s),
  red: (s: string) => paint(io.color, 31, s),
  green: (s: string) => paint(io.color, 32, s),
  yellow: (s: string) => paint(io.color, 33, s),
  cyan: (s: string) => paint(io.color, 36, s),
});

/**
 * The terminal runner: results go to stdout, progress and logs to stderr (so
 * `--json` output stays parseable), every masked value is redacted.
 */
export class CliRunner implements Runner {
  private readonly masked: string[] = [];
  private readonly steps = new Map<string, { started: number; printed: number }>();
  constructor(
    private readonly io: Io,
    public verbose = false,
  ) {}

  info(message: string): void {
    this.io.err(colors(this.io).dim(this.redact(message)));
  }
  warning(message: string): void {
    this.io.err(colors(this.io).yellow(`warning: ${this.redact(message)}`));
  }
  debug(message: string): void {
    if (this.verbose) this.io.err(colors(this.io).dim(`debug: ${this.redact(message)}`));
  }
  annotate(a: Annotation): void {
    const where = a.file ? `${a.file}${a.line ? `:${a.line}` : ''}: ` : '';
    this.io.err(`${where}${a.level}: ${this.redact(a.message)}`);
  }
  setOutput(): void {}
  appendSummary(): void {}
  mask(secret: string): void {
    if (secret) this.masked.push(secret);
  }
  /** Quiet for steps that finish within a second; then a line a second, and the last one. */
  progress(step: string, done: number, total: number): void {
    const now = Date.now();
    const s = this.steps.get(step) ?? { started: now, printed: 0 };
    this.steps.set(step, s);
    const finished = done >= total;
    const due = finished ? s.printed > 0 : now - Math.max(s.started, s.printed) >= 1000;
    if (finished) this.steps.delete(step);
    if (!due) return;
    s.printed = now;
    this.io.err(colors(this.io).dim(`  ${step}: ${done}/${total}${finished ? ' done' : ''}`));
  }
  redact(s: string): string {
    return this.masked.reduce((acc, m) => acc.split(m).join('***'), s);
  }
}
