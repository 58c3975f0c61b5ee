import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type LineCounter, type Node } from 'yaml';
import { formatKeyPath, problem, type Problem } from '@ferry/core';

/** `${secret:NAME}`: a value resolved from the deploy step's secrets, never stored in a release. */
export const SECRET_REF = /\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g;
const REF_START = /\$\{secret:/g;

/** Key names whose values are credentials (matched on the last words of the key). */
const SECRET_KEY = /(^|[_-])(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|credentials?)$/i;

/** Values that are credentials whatever their key. */
const SECRET_VALUES: [string, RegExp][] = [
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/],
  ['a Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['a Slack webhook URL', /hooks\.slack\.com\/services\/[A-Za-z0-9/]+/],
  ['a private key', /-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['a Stripe secret key', /\b[sr]k_live_[0-9A-Za-z]{16,}\b/],
  ['a JSON Web Token', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ['a password inside a URL', /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:(?!\$\{secret:)[^\s@/]+@/i],
];

export interface ScalarVisit {
  path: (string | number)[];
  value: unknown;
  node: Node;
}

/** Calls `fn` for every scalar value in a YAML/JSON document, with its key path. */
export function visitScalars(doc: Document, fn: (v: ScalarVisit) => void): void {
  const walk = (node: unknown, p: (string | number)[]) => {
    if (isMap(node)) {
      for (const item of node.items) if (isPair(item)) walk(item.value, [...p, isScalar(item.key) ? String(item.key.value) : '?']);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...p, i]));
    } else if (isScalar(node)) {
      fn({ path: p, value: node.value, node });
    }
  };
  walk(doc.contents, []);
}

/**
 * Problems for every value that looks like a secret written in clear. The
 * message never repeats the value (it may be a real credential).
 */
export function findSecretLiterals(doc: Document, counter: LineCounter, file: string): Problem[] {
  const problems: Problem[] = [];
  visitScalars(doc, ({ path, value, node }) => {
    if (typeof value !== 'string' || value === '') return;
    const at = { file, key: formatKeyPath(path), ...linePos(counter, node) };
    const withoutRefs = value.replace(SECRET_REF, '');
    const malformed = withoutRefs.match(REF_START);
    if (malformed) {
      problems.push(problem('FERRY_SECRET_REFERENCE', 'malformed secret reference', { location: at }));
      return;
    }
    const lastKey = path[path.length - 1];
    if (typeof lastKey === 'string' && SECRET_KEY.test(lastKey) && withoutRefs.trim() !== '') {
      problems.push(problem('FERRY_SECRET_LITERAL', `"${lastKey}" holds a literal value (not shown); credentials must be secret references`, { location: at }));
      return;
    }
    for (const [what, re] of SECRET_VALUES) {
      if (re.test(withoutRefs)) {
        problems.push(problem('FERRY_SECRET_LITERAL', `value looks like ${what} (not shown)`, { location: at }));
        return;
      }
    }
  });
  return problems;
}

/** Names of the secrets a YAML/JSON text refers to in its values (comments do not count). */
export function secretNames(text: string): string[] {
  if (!text.includes('${secret:')) return [];
  const names = new Set<string>();
  visitScalars(parseDocument(text), ({ value }) => {
    if (typeof value === 'string') for (const m of value.matchAll(SECRET_REF)) names.add(m[1]!);
  });
  return [...names];
}

function linePos(counter: LineCounter, node: Node): { line?: number; column?: number } {
  if (!node.range) return {};
  const p = counter.linePos(node.range[0]);
  return { line: p.line, column: p.col };
}
