import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { Check, Finding } from '../types.js';
import { failedFinding, missingFinding, notConfigured, onPath, pathArgs, pos, relFile, showArgv, timedOut, toolConfig } from './common.js';
import { runTool, ToolMissing, type ToolRun } from '@ferry/core';

/**
 * How to run pytest, in order of preference: the configured command, then
 * `pytest`, `pytest-3` (Debian's name) or `python3 -m pytest`, the first found.
 */
export const PYTEST_COMMANDS: readonly (readonly string[])[] = [['pytest'], ['pytest-3'], ['python3', '-m', 'pytest']];

export function pytestCandidates(command: readonly string[] | undefined, envPath = process.env.PATH ?? ''): string[][] {
  if (command) return [[...command]];
  const first = PYTEST_COMMANDS.findIndex((argv) => onPath(argv[0]!, envPath));
  // From the first one found on (the next ones in case it vanishes); all of them when none is.
  return PYTEST_COMMANDS.slice(Math.max(first, 0)).map((argv) => [...argv]);
}

export interface JUnitStats {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name, _jpath, _leaf, isAttribute) => !isAttribute && ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number => {
  const n = Number(str(v) ?? 0);
  return Number.isFinite(n) ? n : 0;
};
const asNodes = (v: unknown): XmlNode[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((n) => (typeof n === 'object' && n ? (n as XmlNode) : { '#text': String(n) }));
const firstLine = (s: string | undefined): string => (s ?? '').split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? '';

/**
 * A path pytest printed (relative to its rootdir, which is the project root
 * or a folder above it holding pytest.ini / pyproject.toml) as a path relative to the project root.
 */
function locate(root: string, file: string): string | undefined {
  if (path.isAbsolute(file)) return fs.existsSync(file) ? relFile(root, file) : undefined;
  for (let base = root; ; base = path.dirname(base)) {
    if (fs.existsSync(path.join(base, file))) return relFile(root, path.join(base, file));
    if (path.dirname(base) === base) return undefined;
  }
}

/** The test file and the rest of the test id, from `file` (xunit1) or from the dotted `classname`. */
function testFile(root: string, tc: XmlNode): { file?: string; nodePath?: string; inner: string[] } {
  const classname = str(tc.classname) ?? '';
  const fileAttr = str(tc.file);
  if (fileAttr) {
    const dotted = fileAttr.replace(/\.py$/, '').split(/[\\/]/).join('.');
    const inner = classname.startsWith(`${dotted}.`) ? classname.slice(dotted.length + 1).split('.') : [];
    const nodePath = fileAttr.split(path.sep).join('/');
    return { file: locate(root, fileAttr) ?? nodePath, nodePath, inner };
  }
  const parts = classname.split('.').filter(Boolean);
  for (let i = parts.length; i >= 1; i--) {
    const candidate = `${parts.slice(0, i).join('/')}.py`;
    const file = locate(root, candidate);
    if (file) return { file, nodePath: candidate, inner: parts.slice(i) };
  }
  return { inner: classname ? [classname] : [] };
}

/** The deepest line of the traceback that is in the test's own file (the failing assert, usually). */
function tracebackLine(root: string, body: string, file: string): number | undefined {
  let line: number | undefined;
  for (const l of body.split(/\r?\n/)) {
    const m = /^(\S.*?):(\d+): /.exec(l) ?? /File "(.+?)", line (\d+)/.exec(l);
    if (m && relFile(root, m[1]!) === file) line = pos(m[2]) ?? line;
  }
  return line;
}

/** Failures and errors of a JUnit XML report (pytest's), as findings, with its counts. */
export function parseJUnit(xml: string, opts: { root: string; severity: 'error' | 'warning'; check?: string }): { findings: Finding[]; stats: JUnitStats } {
  const doc = parser.parse(xml) as XmlNode;
  const suites = [...asNodes((doc.testsuites as XmlNode | undefined)?.testsuite), ...asNodes(doc.testsuite)];
  const stats: JUnitStats = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const findings: Finding[] = [];
  const walk = (suite: XmlNode) => {
    stats.tests += num(suite.tests);
    stats.failures += num(suite.failures);
    stats.errors += num(suite.errors);
    stats.skipped += num(suite.skipped);
    for (const tc of asNodes(suite.testcase)) {
      const problems = [...asNodes(tc.failure).map((n) => ['test-failure', n] as const), ...asNodes(tc.error).map((n) => ['test-error', n] as const)];
      if (!problems.length) continue;
      const name = str(tc.name) ?? '';
      const classname = str(tc.classname) ?? '';
      // A collection error has no class: its name is the module (tests.test_x).
      const where = testFile(opts.root, classname ? tc : { ...tc, classname: name });
      const id = classname ? [where.nodePath, ...where.inner, name].filter(Boolean).join('::') : (where.nodePath ?? name);
      for (const [rule, node] of problems) {
        const body = str(node['#text']) ?? '';
        let detail = firstLine(str(node.message)) || firstLine(body);
        if (/^collection failure$/i.test(detail)) {
          const last = body.split(/\r?\n/).filter((l) => /^E\s/.test(l)).pop();
          if (last) detail = `${detail}: ${last.replace(/^E\s+/, '').trim()}`;
        }
        const f: Finding = { check: opts.check ?? 'pytest', rule, severity: opts.severity, message: detail ? `${id}: ${detail}` : id };
        if (where.file) {
          f.file = where.file;
          const line = tracebackLine(opts.root, body, where.file) ?? (str(tc.line) !== undefined ? num(tc.line) + 1 : undefined);
          if (line) f.line = line;
        }
        findings.push(f);
      }
    }
    for (const inner of asNodes(suite.testsuite)) walk(inner);
  };
  for (const s of suites) walk(s);
  return { findings, stats };
}

export const pytestCheck: Check = {
  id: 'pytest',
  title: 'pytest',
  notApplicable: (config) => (toolConfig(config, 'pytest') ? undefined : notConfigured('pytest')),
  async run({ config, tmpDir }) {
    const cfg = config.checks.pytest;
    if (!cfg) return { findings: [], skipped: notConfigured('pytest') };
    const xmlFile = path.join(tmpDir, 'pytest.xml');
    // xunit1 adds file and line to every testcase.
    const ours = [`--junitxml=${xmlFile}`, '-q', '-p', 'no:cacheprovider', '-o', 'junit_family=xunit1'];
    const candidates = pytestCandidates(cfg.command);
    const missing = () => ({ findings: [missingFinding('pytest', 'pytest', cfg.command ? [cfg.command] : PYTEST_COMMANDS, 'pytest')] });
    let argv: string[] = [];
    let run: ToolRun | undefined;
    fs.rmSync(xmlFile, { force: true });
    for (const command of candidates) {
      argv = [...command, ...ours, ...cfg.args, ...pathArgs(cfg.paths)];
      try {
        run = await runTool(argv, { cwd: config.root, timeoutSeconds: cfg.timeout });
        break;
      } catch (e) {
        if (e instanceof ToolMissing) continue;
        const timeout = timedOut('pytest', argv, cfg.timeout, e);
        if (timeout) return { findings: [timeout] };
        throw e;
      }
    }
    if (!run) return missing();
    const output = run.stderr.trim() ? run.stderr : run.stdout;
    if (!fs.existsSync(xmlFile)) {
      if (/No module named pytest\b/.test(`${run.stderr}\n${run.stdout}`)) return missing();
      return { findings: [failedFinding('pytest', `\`${showArgv(argv)}\` exited with code ${run.code} and wrote no JUnit report`, output)] };
    }
    const { findings, stats } = parseJUnit(fs.readFileSync(xmlFile, 'utf8'), { root: config.root, severity: cfg.severity });
    if (run.code === 5) {
      findings.push({ check: 'pytest', rule: 'no-tests', severity: 'warning', message: `pytest collected no tests in ${cfg.paths.join(', ')}`, hint: 'Check checks.pytest.paths, or remove checks.pytest from ferry.yml.' });
    } else if (run.code !== 0 && findings.length === 0) {
      // 2 interrupted, 3 internal error, 4 usage error; 1 with no failure reported.
      findings.push(failedFinding('pytest', `\`${showArgv(argv)}\` exited with code ${run.code}`, output));
    }
    return { findings, stats: { ...stats } };
  },
};
