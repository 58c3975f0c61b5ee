import type { Annotation } from '@ferry/core';
import type { Finding } from '../types.js';

/**
 * GitHub shows at most 10 error and 10 warning annotations per step (and 50
 * per job); the rest are dropped silently. So: the most severe first, at most
 * `perLevel` of each, and one notice saying how many were not annotated.
 * `file` maps a finding's path (relative to the project) to one relative to
 * the repository root, which is what GitHub resolves annotations against.
 */
export function pickAnnotations(findings: Finding[], file: (p: string) => string, opts: { perLevel?: number; where?: string } = {}): Annotation[] {
  const perLevel = opts.perLevel ?? 10;
  const out: Annotation[] = [];
  let left = 0;
  for (const level of ['error', 'warning'] as const) {
    const of = findings.filter((f) => f.severity === level);
    for (const f of of.slice(0, perLevel)) {
      out.push({ level, title: `${f.check} ${f.rule}`, message: f.hint ? `${f.message}\nfix: ${f.hint}` : f.message, ...(f.file ? { file: file(f.file) } : {}), ...(f.line ? { line: f.line } : {}), ...(f.column ? { column: f.column } : {}) });
    }
    left += Math.max(0, of.length - perLevel);
  }
  if (left > 0) {
    out.push({ level: 'notice', title: 'ferry lint-and-test', message: `${left} more findings are not annotated (GitHub shows ${perLevel} errors and ${perLevel} warnings per step)${opts.where ? `; all are in ${opts.where}` : ''}.` });
  }
  return out;
}
