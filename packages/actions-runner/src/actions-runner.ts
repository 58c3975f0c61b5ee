import * as core from '@actions/core';
import { formatLocation, type Annotation, type Problem, type Runner } from '@ferry/core';

/** GitHub Actions summaries are capped at 1 MiB per step; stay well below. */
const SUMMARY_LIMIT = 1000 * 1024;

/** The Runner port over @actions/core: the only place ferry talks to the runner. */
export class ActionsRunner implements Runner {
  private summaryBytes = 0;

  info(message: string): void {
    core.info(message);
  }
  warning(message: string): void {
    core.warning(message);
  }
  debug(message: string): void {
    core.debug(message);
  }
  annotate(a: Annotation): void {
    const props = { title: a.title, file: a.file, startLine: a.line, startColumn: a.column };
    if (a.level === 'error') core.error(a.message, props);
    else if (a.level === 'warning') core.warning(a.message, props);
    else core.notice(a.message, props);
  }
  setOutput(name: string, value: string): void {
    core.setOutput(name, value);
  }
  appendSummary(markdown: string): void {
    const bytes = Buffer.byteLength(markdown);
    if (this.summaryBytes + bytes > SUMMARY_LIMIT) {
      core.warning('job summary is full (GitHub caps it at 1 MiB); the rest is in the step log');
      core.info(markdown);
      return;
    }
    this.summaryBytes += bytes;
    core.summary.addRaw(markdown, true);
  }
  mask(secret: string): void {
    if (secret) core.setSecret(secret);
  }
  progress(step: string, done: number, total: number): void {
    if (done === total || done % 5000 === 0) core.info(`${step}: ${done}/${total}`);
  }
  async flush(): Promise<void> {
    if (this.summaryBytes > 0) await core.summary.write();
  }

  /** Every problem as an annotation (with file/line where known) and one summary table. */
  reportProblems(problems: Problem[]): void {
    for (const p of problems) {
      this.annotate({ level: p.severity === 'warning' ? 'warning' : 'error', title: p.code, message: `${p.message}${p.hint ? `\nfix: ${p.hint}` : ''}`, file: p.location?.file, line: p.location?.line, column: p.location?.column });
    }
    const rows = problems.map((p) => `| \`${p.code}\` | ${esc(formatLocation(p.location))} | ${esc(p.message)} | ${esc(p.hint ?? '')} |`);
    this.appendSummary(['### ferry: problems', '', '| code | where | problem | fix |', '|---|---|---|---|', ...rows, ''].join('\n'));
  }
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
