import fsp from 'node:fs/promises';
import path from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';
import { FerryError, problem, sha256, type ArtifactKind, type FerryConfig, type KindContext, type Problem, type ReleaseArtifact, type ReleaseFile } from '@ferry/core';
import { createTarget, memorySource } from '@ferry/targets';
import { readFromBundle, writeBundle } from '../shared/bundle.js';
import { planFiles, verifyFiles } from '../shared/file-tree.js';
import { targetFor } from '../shared/target-for.js';
import { compileSchemas } from './schema-check.js';
import { findSecretLiterals, SECRET_REF, secretNames } from './secrets.js';
import { misspeltOverlays, readConfigFolder, renderUnit, unitsFor } from './render.js';

const BUNDLE = 'configs.tar.gz';

/**
 * Config files (YAML/JSON). The release holds each environment's rendered
 * files (base + overlay) with secret references intact, under `<env>/`;
 * references are resolved only in `apply`, in memory, on the way to the target.
 */
export const configsKind: ArtifactKind = {
  name: 'configs',

  enabled: (config: FerryConfig) => Boolean(config.artifacts.configs),

  async validate(ctx) {
    return (await render(ctx)).problems;
  },

  async build(ctx, releaseDir) {
    const { rendered, problems } = await render(ctx);
    if (problems.length) throw new FerryError(problems);
    const staging = path.join(releaseDir, '.configs-staging');
    const paths: string[] = [];
    const secretRefs: Record<string, string[]> = {};
    for (const [env, files] of rendered) {
      for (const [rel, text] of files) {
        const p = `${env}/${rel}`;
        const names = secretNames(text);
        if (names.length) secretRefs[p] = names.sort();
        await fsp.mkdir(path.dirname(path.join(staging, p)), { recursive: true });
        await fsp.writeFile(path.join(staging, p), text);
        paths.push(p);
      }
    }
    paths.sort();
    const { files, bundle } = await writeBundle(staging, paths, path.join(releaseDir, BUNDLE));
    await fsp.rm(staging, { recursive: true, force: true });
    return { kind: 'configs', files, bundle, meta: { secretRefs } };
  },

  async plan(ctx, { env, artifact, previous }) {
    const target = createTarget(targetFor(env, 'configs'));
    const state = await target.state();
    const wanted = filesFor(artifact, env.name);
    const before = previous ? new Map(filesFor(previous, env.name).map((f) => [f.path, f.sha256])) : state.releaseId ? state.files : undefined;
    const notes: string[] = [];
    const withRefs = artifact.meta?.secretRefs as Record<string, string[]> | undefined;
    const refFiles = Object.keys(withRefs ?? {}).filter((p) => p.startsWith(`${env.name}/`));
    if (refFiles.length) notes.push(`${refFiles.length} config file(s) carry secret references, resolved at apply: ${[...new Set(refFiles.flatMap((p) => withRefs![p]!))].join(', ')}`);
    return planFiles('configs', wanted, before, target, notes, state.notes);
  },

  async stage(ctx, { env, release, artifact }) {
    const wanted = filesFor(artifact, env.name);
    // Checked against the release's hashes as it is read.
    const contents = await readFromBundle(path.join(release.dir, BUNDLE), wanted, `${env.name}/`);
    const resolved: Record<string, string> = {};
    const missing: Problem[] = [];
    for (const f of wanted) {
      const buf = contents.get(f.path)!;
      resolved[f.path] = resolveSecrets(buf.toString('utf8'), path.join(ctx.config.artifacts.configs?.path ?? '', f.path), ctx, missing);
    }
    // Every secret must be present before anything is written.
    if (missing.length) throw new FerryError(missing);
    return createTarget(targetFor(env, 'configs')).stage(memorySource(resolved), release.manifest.id, ctx.runner);
  },

  async verify(ctx, { env, release, artifact }) {
    const refs = (artifact.meta?.secretRefs ?? {}) as Record<string, string[]>;
    const expected = new Map(filesFor(artifact, env.name).map((f) => [f.path, refs[`${env.name}/${f.path}`] ? null : f.sha256]));
    return verifyFiles('configs', createTarget(targetFor(env, 'configs')), release.manifest.id, expected);
  },
};

/** The files one environment receives, paths relative to the config target. */
export function filesFor(artifact: ReleaseArtifact, env: string): ReleaseFile[] {
  const prefix = `${env}/`;
  return artifact.files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ ...f, path: f.path.slice(prefix.length) }));
}

/** Renders every environment's files and collects every problem: syntax, secrets in clear, schema. */
async function render(ctx: KindContext): Promise<{ rendered: Map<string, Map<string, string>>; problems: Problem[] }> {
  const cfg = ctx.config.artifacts.configs!;
  const schemaFiles = new Set(cfg.schemaFiles.map((s) => s.schema));
  const read = await readConfigFolder(cfg.dir, ctx.config.root, schemaFiles);
  const files = read.files;
  const envNames = ctx.config.environments.map((e) => e.name);
  const rel = (p: string) => path.relative(ctx.config.root, path.join(cfg.dir, p));
  const problems: Problem[] = [...read.problems.filter((p) => p.code === 'FERRY_CONFIG_FILE_PARSE'), ...misspeltOverlays(files, envNames)].map((p) => ({
    ...p,
    location: { ...p.location, file: rel(p.location?.file ?? '') },
  }));
  // selectFiles already reports paths relative to the project.
  problems.push(...read.problems.filter((p) => p.code !== 'FERRY_CONFIG_FILE_PARSE'));
  for (const f of files) problems.push(...findSecretLiterals(f.doc, f.counter, rel(f.rel)));
  const schemas = compileSchemas(cfg.schemaFiles, ctx.config.file);
  problems.push(...schemas.problems);
  const rendered = new Map<string, Map<string, string>>();
  for (const env of envNames) {
    const out = new Map<string, string>();
    for (const unit of unitsFor(files, env, envNames)) {
      // An overlay whose base did not parse would be checked on its own: its errors would only mislead.
      if (!unit.base && read.failed.has(unit.rel)) continue;
      if (!unit.overlay && read.failed.has(unit.rel.replace(/(\.[^.]+)$/, `.${env}$1`))) continue;
      const { text, value } = renderUnit(unit);
      problems.push(...schemas.check(unit, value, env).map((p) => ({ ...p, location: p.location && { ...p.location, file: rel(p.location.file ?? unit.rel) } })));
      out.set(unit.rel, text);
    }
    rendered.set(env, out);
  }
  return { rendered, problems };
}

/** Replaces `${secret:NAME}` in string values, keeping the file valid YAML/JSON whatever the secret contains. */
function resolveSecrets(text: string, rel: string, ctx: KindContext, missing: Problem[]): string {
  const names = secretNames(text);
  if (names.length === 0) return text;
  const values = new Map<string, string>();
  for (const n of names) {
    const v = ctx.secret(n);
    if (v === undefined || v === '') missing.push(problem('FERRY_SECRET_MISSING', `secret ${n} (used in ${rel}) is not set`, { location: { file: rel } }));
    else values.set(n, v);
  }
  if (values.size !== names.length) return text;
  const sub = (s: string) => s.replace(SECRET_REF, (_, n: string) => values.get(n)!);
  if (rel.endsWith('.json')) {
    const walk = (v: unknown): unknown =>
      typeof v === 'string' ? sub(v) : Array.isArray(v) ? v.map(walk) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v;
    return JSON.stringify(walk(JSON.parse(text)), null, 2) + '\n';
  }
  const doc = parseDocument(text);
  visit(doc, {
    Scalar(_, node) {
      if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${secret:')) node.value = sub(node.value);
    },
  });
  return doc.toString();
}

