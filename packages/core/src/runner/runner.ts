/**
 * The runner port: everything a package may do to talk to the outside world
 * while it works. The GitHub Actions adapter, the CLI and the tests each
 * implement it, so package code never imports @actions/core.
 */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title?: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface Runner {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** A file/line annotation (GitHub) or a located line in the terminal. */
  annotate(annotation: Annotation): void;
  setOutput(name: string, value: string): void;
  /** Appends Markdown to the job summary (the terminal prints it). */
  appendSummary(markdown: string): void;
  /** Hide a value from every later log line. Call as soon as a secret is read. */
  mask(secret: string): void;
  /** Long steps report progress; runners may print it sparsely or not at all. */
  progress(step: string, done: number, total: number): void;
}

/** A runner that records everything: for tests, and for `--json` modes that must keep stdout clean. */
export class MemoryRunner implements Runner {
  readonly logs: { level: 'info' | 'warning' | 'debug'; message: string }[] = [];
  readonly annotations: Annotation[] = [];
  readonly outputs: Record<string, string> = {};
  readonly masked: string[] = [];
  summary = '';

  info(message: string): void {
    this.logs.push({ level: 'info', message: this.redact(message) });
  }
  warning(message: string): void {
    this.logs.push({ level: 'warning', message: this.redact(message) });
  }
  debug(message: string): void {
    this.logs.push({ level: 'debug', message: this.redact(message) });
  }
  annotate(annotation: Annotation): void {
    this.annotations.push({ ...annotation, message: this.redact(annotation.message) });
  }
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  appendSummary(markdown: string): void {
    this.summary += this.redact(markdown);
  }
  mask(secret: string): void {
    if (secret) this.masked.push(secret);
  }
  progress(): void {}

  /** Everything this runner was told, as one string (for "secret never appears" assertions). */
  everything(): string {
    return JSON.stringify({ logs: this.logs, annotations: this.annotations, outputs: this.outputs, summary: this.summary });
  }

  private redact(s: string): string {
    return this.masked.reduce((acc, m) => acc.split(m).join('***'), s);
  }
}
