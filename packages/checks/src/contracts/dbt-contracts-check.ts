import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { toPosix, yamlMessage } from '@ferry/core';
import { selectFiles } from '@ferry/kinds';
import type { Check, Finding } from '../types.js';

/**
 * dbt without dbt: every YAML file of the project parses, and every model
 * whose contract is enforced declares a data_type for each of its columns
 * (dbt refuses to build it otherwise, at deploy time instead of in CI).
 */
export const RULES = {
  DBT001: 'YAML file does not parse',
  DBT002: 'contract enforced, but a column has no data_type',
  DBT003: 'contract enforced, but no columns are declared',
  DBT004: 'model described in YAML has no SQL or Python file',
} as const;

interface ModelEntry {
  name: string;
  file: string;
  line?: number;
  enforced?: boolean;
  columns?: { name: string; dataType: boolean; line?: number }[];
}

export const dbtContractsCheck: Check = {
  id: 'dbt-contracts',
  title: 'dbt schema and contracts',
  notApplicable: (config) => (config.artifacts.dbt ? undefined : 'no artifacts.dbt in ferry.yml'),
  async run({ config }) {
    const dir = config.artifacts.dbt!.dir;
    const rel = (abs: string) => toPosix(path.relative(config.root, abs));
    const findings: Finding[] = [];
    const finding = (rule: keyof typeof RULES, message: string, file: string, line?: number, severity: Finding['severity'] = 'error'): void => {
      findings.push({ check: 'dbt-contracts', rule, severity, message, file, line });
    };

    const parsed = new Map<string, { doc: Document; counter: LineCounter }>();
    const { files: yamlFiles } = await selectFiles(dir, config.root, ['dbt_project.yml', '{models,seeds,snapshots,analyses,tests,macros}/**/*.{yml,yaml}'], ['**/.*']);
    for (const f of yamlFiles) {
      const counter = new LineCounter();
      const doc = parseDocument(fs.readFileSync(path.join(dir, f), 'utf8'), { lineCounter: counter, uniqueKeys: true });
      const err = doc.errors[0];
      // dbt_project.yml itself is the Artifacts check's (dbt kind validation).
      if (err && f !== 'dbt_project.yml') finding('DBT001', yamlMessage(err.message), rel(path.join(dir, f)), err.linePos?.[0]?.line);
      else if (!err) parsed.set(f, { doc, counter });
    }

    // Model files by name, and the folder each sits in (for dbt_project.yml folder configs).
    const { files: modelFiles } = await selectFiles(path.join(dir, 'models'), config.root, ['**/*.sql', '**/*.py'], ['**/.*']).catch(() => ({ files: [] as string[] }));
    const modelPath = new Map(modelFiles.map((f) => [path.basename(f).replace(/\.(sql|py)$/, ''), f]));

    const project = parsed.get('dbt_project.yml')?.doc.toJS() as { name?: string; models?: Record<string, unknown> } | undefined;
    const projectEnforced = (model: string): boolean | undefined => {
      const file = modelPath.get(model);
      if (!file || !project?.name) return undefined;
      let node = (project.models as Record<string, unknown> | undefined)?.[project.name];
      let result = contractOf(node);
      for (const seg of [...path.dirname(file).split(path.sep).filter((s) => s !== '.'), model]) {
        node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
        result = contractOf(node) ?? result;
      }
      return result;
    };

    const models: ModelEntry[] = [];
    for (const [f, { doc, counter }] of parsed) {
      if (f === 'dbt_project.yml') continue;
      const list = doc.get('models', true);
      if (!isSeq(list)) continue;
      for (const item of list.items) {
        if (!isMap(item)) continue;
        const m = item.toJSON() as { name?: string; config?: unknown; columns?: { name?: string; data_type?: unknown }[] };
        if (!m.name) continue;
        const columnsNode = item.get('columns', true);
        models.push({
          name: m.name,
          file: rel(path.join(dir, f)),
          line: lineOf(item, counter),
          enforced: contractOf(m.config),
          columns: isSeq(columnsNode)
            ? columnsNode.items.map((c, i) => ({ name: m.columns?.[i]?.name ?? `#${i + 1}`, dataType: Boolean(m.columns?.[i]?.data_type), line: lineOf(c as Node, counter) }))
            : undefined,
        });
      }
    }

    let enforcedCount = 0;
    for (const m of models) {
      const sqlFile = modelPath.get(m.name);
      if (!sqlFile) finding('DBT004', `model "${m.name}" is described here but models/ has no ${m.name}.sql or .py`, m.file, m.line, 'warning');
      // dbt's precedence: config() in the model file, then its YAML properties, then dbt_project.yml.
      const inSql = sqlFile ? sqlContract(fs.readFileSync(path.join(dir, 'models', sqlFile), 'utf8')) : undefined;
      const enforced = inSql ?? m.enforced ?? projectEnforced(m.name) ?? false;
      if (!enforced) continue;
      enforcedCount++;
      if (!m.columns?.length) {
        finding('DBT003', `model "${m.name}" enforces its contract but declares no columns`, m.file, m.line);
        continue;
      }
      for (const c of m.columns) {
        if (!c.dataType) finding('DBT002', `model "${m.name}" enforces its contract, but column "${c.name}" has no data_type`, m.file, c.line);
      }
    }
    // A model whose contract is enforced in SQL or dbt_project.yml but never described in YAML has no columns at all.
    const described = new Set(models.map((m) => m.name));
    for (const [name, file] of modelPath) {
      if (described.has(name)) continue;
      const enforced = sqlContract(fs.readFileSync(path.join(dir, 'models', file), 'utf8')) ?? projectEnforced(name);
      if (enforced) {
        enforcedCount++;
        finding('DBT003', `model "${name}" enforces its contract but no YAML file declares its columns`, rel(path.join(dir, 'models', file)), 1);
      }
    }
    for (const f of findings) f.hint ??= f.rule === 'DBT001' ? 'Fix the YAML syntax at the line shown.' : f.rule === 'DBT004' ? 'Rename the entry to match the model file, or remove it.' : 'Declare every column with its data_type (dbt checks them against the built table).';
    return { findings, stats: { 'YAML files': yamlFiles.length, models: modelPath.size, 'enforced contracts': enforcedCount } };
  },
};

/** `contract: {enforced: true}` / `+contract: …` in a config mapping. */
function contractOf(node: unknown): boolean | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const c = (node as Record<string, unknown>)['+contract'] ?? (node as Record<string, unknown>).contract;
  const enforced = c && typeof c === 'object' ? (c as { enforced?: unknown }).enforced : undefined;
  return typeof enforced === 'boolean' ? enforced : undefined;
}

/** `{{ config(contract={'enforced': true}) }}` in a model file. */
function sqlContract(sql: string): boolean | undefined {
  const m = /config\s*\([^)]*?contract\s*=\s*\{[^}]*?['"]enforced['"]\s*:\s*(true|false)/i.exec(sql);
  return m ? m[1]!.toLowerCase() === 'true' : undefined;
}

function lineOf(node: Node | undefined, counter: LineCounter): number | undefined {
  return node?.range ? counter.linePos(node.range[0]).line : undefined;
}
