// Regenerates the inputs and outputs tables of every actions/<name>/README.md
// from its action.yml, the single source (`pnpm readmes`), and the tables of
// every workflow template in workflows-templates/README.md from its
// on.workflow_call; creates an action README
// with a title, the description and a usage example when there is none. The
// tables sit between <!-- ferry:inputs --> … <!-- /ferry:inputs --> and
// <!-- ferry:outputs --> … <!-- /ferry:outputs -->; everything else is prose
// the action's owner writes. test/actions/readme.test.ts fails when a table
// differs from action.yml.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string | number | boolean;
}

export interface ActionYml {
  name: string;
  description: string;
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, { description?: string }>;
}

export const MARKERS = {
  inputs: ['<!-- ferry:inputs -->', '<!-- /ferry:inputs -->'],
  outputs: ['<!-- ferry:outputs -->', '<!-- /ferry:outputs -->'],
} as const;

export type Section = keyof typeof MARKERS;

export function readActionYml(dir: string): ActionYml {
  return parse(fs.readFileSync(path.join(dir, 'action.yml'), 'utf8')) as ActionYml;
}

/** Table cell text: pipes escaped, line breaks as <br> so a row stays one line. */
export function cell(text: string): string {
  return text.trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Inline code that survives backticks inside the value. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

/** The rows of a section, keyed by input/output name (what the test compares one by one). */
export function tableRows(action: ActionYml, section: Section): Map<string, string> {
  const rows = new Map<string, string>();
  if (section === 'inputs') {
    for (const [name, i] of Object.entries(action.inputs ?? {})) {
      const def = i.default === undefined || String(i.default) === '' ? '' : code(cell(String(i.default)));
      rows.set(name, `| \`${name}\` | ${cell(i.description ?? '')} | ${i.required ? 'yes' : 'no'} | ${def} |`);
    }
  } else {
    for (const [name, o] of Object.entries(action.outputs ?? {})) rows.set(name, `| \`${name}\` | ${cell(o.description ?? '')} |`);
  }
  return rows;
}

export function table(action: ActionYml, section: Section): string {
  const rows = [...tableRows(action, section).values()];
  if (!rows.length) return `This action has no ${section}.`;
  const head = section === 'inputs' ? ['| name | description | required | default |', '|---|---|---|---|'] : ['| name | description |', '|---|---|'];
  return [...head, ...rows].join('\n');
}

/** The text between a section's markers, or undefined when the markers are missing. */
export function sectionText(readme: string, section: Section): string | undefined {
  const [open, close] = MARKERS[section];
  const a = readme.indexOf(open);
  const b = readme.indexOf(close, a + open.length);
  if (a < 0 || b < 0) return undefined;
  return readme.slice(a + open.length, b);
}

/** The rows found in a README section, keyed by the name in their first cell. */
export function readmeRows(readme: string, section: Section): Map<string, string> | undefined {
  const text = sectionText(readme, section);
  if (text === undefined) return undefined;
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line.trim());
    if (m) rows.set(m[1]!, line.trim());
  }
  return rows;
}

/**
 * Where a README's tables differ from action.yml: one message per input or
 * output (missing, extra or different row), or a missing marker pair.
 */
export function readmeDifferences(name: string, readme: string, action: ActionYml): string[] {
  const problems: string[] = [];
  for (const section of ['inputs', 'outputs'] as const) {
    const found = readmeRows(readme, section);
    const kind = section === 'inputs' ? 'input' : 'output';
    if (!found) {
      problems.push(`actions/${name}/README.md: no ${MARKERS[section][0]} … ${MARKERS[section][1]} table (run \`pnpm readmes\`)`);
      continue;
    }
    const want = tableRows(action, section);
    for (const [key, row] of want) {
      const got = found.get(key);
      if (got === undefined) problems.push(`actions/${name}/README.md: ${kind} \`${key}\` of action.yml is missing from the ${section} table`);
      else if (got !== row) problems.push(`actions/${name}/README.md: ${kind} \`${key}\` differs from action.yml:\n  README:     ${got}\n  action.yml: ${row}`);
    }
    for (const key of found.keys()) if (!want.has(key)) problems.push(`actions/${name}/README.md: ${kind} \`${key}\` is not in action.yml`);
  }
  return problems;
}

function replaceSection(readme: string, section: Section, body: string): string {
  const [open, close] = MARKERS[section];
  const a = readme.indexOf(open);
  const b = readme.indexOf(close, a + open.length);
  if (a < 0 || b < 0) return `${readme.trimEnd()}\n\n## ${section === 'inputs' ? 'Inputs' : 'Outputs'}\n\n${open}\n${body}\n${close}\n`;
  return `${readme.slice(0, a + open.length)}\n${body}\n${readme.slice(b)}`;
}

/** A first README: title, description, a usage example with the required inputs, and both tables. */
export function newReadme(name: string, action: ActionYml): string {
  const required = Object.entries(action.inputs ?? {}).filter(([, i]) => i.required);
  const withLines = required.map(([k]) => `      ${k}: <${k}>`);
  return [
    `# ${action.name}`,
    '',
    action.description.trim(),
    '',
    '## Usage',
    '',
    '```yaml',
    'steps:',
    '  - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
    `  - uses: ferry-data/ferry/actions/${name}@v1   # pin your ferry fork/version, ideally to a commit SHA`,
    ...(withLines.length ? ["    with:", ...withLines] : []),
    '```',
    '',
    '## Inputs',
    '',
    MARKERS.inputs[0],
    MARKERS.inputs[1],
    '',
    '## Outputs',
    '',
    MARKERS.outputs[0],
    MARKERS.outputs[1],
    '',
  ].join('\n');
}

/** The README with both tables regenerated (and created first when missing). */
export function renderReadme(name: string, action: ActionYml, existing: string | undefined): string {
  let text = existing ?? newReadme(name, action);
  text = replaceSection(text, 'inputs', table(action, 'inputs'));
  text = replaceSection(text, 'outputs', table(action, 'outputs'));
  return text;
}

export function actionNames(root: string): string[] {
  const dir = path.join(root, 'actions');
  return fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, 'action.yml')))
    .sort();
}

/** Writes every README that changed; returns the paths written. */
export function writeReadmes(root: string): string[] {
  const written: string[] = [];
  for (const name of actionNames(root)) {
    const dir = path.join(root, 'actions', name);
    const file = path.join(dir, 'README.md');
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    const next = renderReadme(name, readActionYml(dir), existing);
    if (next !== existing) {
      fs.writeFileSync(file, next);
      written.push(path.relative(root, file));
    }
  }
  return written;
}

// ---------------------------------------------------------------- workflow templates

interface WorkflowCall {
  inputs?: Record<string, { description?: string; type?: string; required?: boolean; default?: unknown }>;
  secrets?: Record<string, { description?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
}

/** The inputs, secrets and outputs tables of a reusable workflow (its `on.workflow_call`). */
export function templateTables(workflowText: string): string {
  const wf = parse(workflowText) as { on?: { workflow_call?: WorkflowCall } };
  const call = wf.on?.workflow_call ?? {};
  const out: string[] = [];
  const inputs = Object.entries(call.inputs ?? {});
  if (inputs.length) {
    out.push('| input | type | default | description |', '|---|---|---|---|');
    for (const [k, i] of inputs) {
      const def = i.default === undefined || String(i.default) === '' ? '' : code(cell(String(i.default)));
      out.push(`| \`${k}\` | ${i.type ?? 'string'}${i.required ? ' (required)' : ''} | ${def} | ${cell(i.description ?? '')} |`);
    }
  }
  const secrets = Object.entries(call.secrets ?? {});
  if (secrets.length) {
    out.push('', '| secret | description |', '|---|---|');
    for (const [k, v] of secrets) out.push(`| \`${k}\` | ${v.required ? '(required) ' : ''}${cell(v.description ?? '')} |`);
  }
  const outputs = Object.entries(call.outputs ?? {});
  if (outputs.length) {
    out.push('', '| output | description |', '|---|---|');
    for (const [k, v] of outputs) out.push(`| \`${k}\` | ${cell(v.description ?? '')} |`);
  }
  return out.join('\n').trim();
}

export const templateMarkers = (file: string) => [`<!-- ferry:template ${file} -->`, `<!-- /ferry:template ${file} -->`] as const;

/** workflows-templates/README.md with every template's tables regenerated between its markers. */
export function renderTemplatesReadme(root: string, readme: string): string {
  let text = readme;
  for (const file of fs.readdirSync(path.join(root, 'workflows-templates')).filter((f) => f.endsWith('.yml')).sort()) {
    const [open, close] = templateMarkers(file);
    const a = text.indexOf(open);
    const b = text.indexOf(close, a + open.length);
    const body = templateTables(fs.readFileSync(path.join(root, 'workflows-templates', file), 'utf8'));
    text = a < 0 || b < 0 ? `${text.trimEnd()}\n\n### ${file}\n\n${open}\n${body}\n${close}\n` : `${text.slice(0, a + open.length)}\n${body}\n${text.slice(b)}`;
  }
  return text;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const written = writeReadmes(root);
  const tplReadme = path.join(root, 'workflows-templates', 'README.md');
  const tplBefore = fs.readFileSync(tplReadme, 'utf8');
  const tplAfter = renderTemplatesReadme(root, tplBefore);
  if (tplAfter !== tplBefore) {
    fs.writeFileSync(tplReadme, tplAfter);
    written.push(path.relative(root, tplReadme));
  }
  console.log(written.length ? written.map((f) => `wrote ${f}`).join('\n') : 'every action README is up to date');
}
