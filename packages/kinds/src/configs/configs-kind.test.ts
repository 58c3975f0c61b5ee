import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LineCounter, parse as parseYaml, parseDocument } from 'yaml';
import { loadConfig, MemoryRunner, type KindContext, type Problem } from '@ferry/core';
import { configsKind } from './configs-kind.js';
import { findSecretLiterals } from './secrets.js';

function project(files: Record<string, string>, secrets: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-configs-'));
  const all = {
    'ferry.yml': `project: demo
artifacts:
  configs:
    path: config
    schemas:
      - files: "app.yml"
        schema: schemas/app.schema.json
environments:
  - name: dev
    targets: { configs: { kind: local, path: out/dev } }
  - name: prod
    targets: { configs: { kind: local, path: out/prod } }
`,
    'schemas/app.schema.json': JSON.stringify({
      type: 'object',
      required: ['schema', 'batch'],
      properties: { schema: { type: 'string' }, batch: { type: 'integer', maximum: 1000 }, db: { type: 'object' } },
      additionalProperties: false,
    }),
    ...files,
  };
  for (const [p, c] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), c);
  }
  const runner = new MemoryRunner();
  const ctx: KindContext = {
    config: loadConfig(path.join(dir, 'ferry.yml')),
    runner,
    secret: (n) => {
      const v = secrets[n];
      if (v) runner.mask(v);
      return v;
    },
  };
  return { dir, ctx, runner };
}

const base = '# shared settings\nschema: analytics\nbatch: 100\ndb:\n  host: db.internal\n  password: "${secret:DB_PASSWORD}"\n';

describe('configs kind', () => {
  it('renders each environment: overlay merged onto the base, comments of the base kept', async () => {
    const { ctx, dir } = project({ 'config/app.yml': base, 'config/app.prod.yml': 'batch: 500\ndb:\n  host: db.prod\n', 'config/flags.json': '{"x": true}' });
    expect(await configsKind.validate(ctx)).toEqual([]);
    const art = await configsKind.build(ctx, fs.mkdtempSync(path.join(dir, 'rel-')));
    expect(art.files.map((f) => f.path)).toEqual(['dev/app.yml', 'dev/flags.json', 'prod/app.yml', 'prod/flags.json']);
    expect(art.meta).toEqual({ secretRefs: { 'dev/app.yml': ['DB_PASSWORD'], 'prod/app.yml': ['DB_PASSWORD'] } });
  });

  it('reports schema violations per environment, at the line of the file that set the value', async () => {
    const { ctx } = project({ 'config/app.yml': base, 'config/app.prod.yml': 'batch: 5000\n' });
    const ps = await configsKind.validate(ctx);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ code: 'FERRY_CONFIG_FILE_SCHEMA', location: { file: 'config/app.prod.yml', key: 'batch', line: 1 } });
    expect(ps[0]!.message).toMatch(/as rendered for prod: \/batch must be <= 1000/);
  });

  it('refuses secrets written in clear without repeating them', async () => {
    const { ctx } = project({
      'config/app.yml': 'schema: a\nbatch: 1\ndb:\n  password: hunter2\n  url: postgres://etl:s3cret@db/x\n',
      'config/other.yml': 'slack: https://hooks.slack.com/services/T000/B000/XXXX\ntoken: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n',
    });
    const ps = await configsKind.validate(ctx);
    expect(ps.map((p) => [p.code, p.location?.file, p.location?.line])).toEqual([
      ['FERRY_SECRET_LITERAL', 'config/app.yml', 4],
      ['FERRY_SECRET_LITERAL', 'config/app.yml', 5],
      ['FERRY_SECRET_LITERAL', 'config/other.yml', 1],
      ['FERRY_SECRET_LITERAL', 'config/other.yml', 2],
    ]);
    const text = JSON.stringify(ps);
    for (const secret of ['hunter2', 's3cret', 'XXXX', 'ghp_abc']) expect(text).not.toContain(secret);
  });

  it('allows references, empty values and non-secret keys that merely contain "token"', () => {
    const counter = new LineCounter();
    const doc = parseDocument('password: "${secret:PW}"\ntoken_url: https://auth.example.com/token\napi_key: ""\nurl: "postgres://u:${secret:PW}@h/db"\n', { lineCounter: counter });
    expect(findSecretLiterals(doc, counter, 'x.yml')).toEqual([]);
  });

  it('reports syntax errors with file and line', async () => {
    const { ctx } = project({ 'config/app.yml': 'schema: a\nbatch: 1\n- x\n', 'config/bad.json': '{"a": 1,}' });
    const ps: Problem[] = await configsKind.validate(ctx);
    expect(ps.map((p) => [p.code, p.location?.file])).toEqual([
      ['FERRY_CONFIG_FILE_PARSE', 'config/app.yml'],
      ['FERRY_CONFIG_FILE_PARSE', 'config/bad.json'],
    ]);
    expect(ps[0]!.location!.line).toBe(3);
  });

  it('resolves secret references at apply, safely quoted, and masks them', async () => {
    const tricky = 'p"w: #1\nnext';
    const { ctx, dir, runner } = project({ 'config/app.yml': base }, { DB_PASSWORD: tricky });
    const releaseDir = fs.mkdtempSync(path.join(dir, 'rel-'));
    const artifact = await configsKind.build(ctx, releaseDir);
    const env = ctx.config.environments[0]!;
    const release = { dir: releaseDir, manifest: { id: 'r1' } } as never;
    const plan = await configsKind.plan(ctx, { env, release, artifact });
    const staged = await configsKind.stage(ctx, { env, release, artifact }, plan);
    await staged.commit();
    const deployed = fs.readFileSync(path.join(dir, 'out/dev/app.yml'), 'utf8');
    expect(parseYaml(deployed).db.password).toBe(tricky);
    expect(deployed).toContain('# shared settings');
    expect(runner.masked).toContain(tricky);
    // The release itself never holds the value.
    expect(fs.readFileSync(path.join(releaseDir, 'configs.tar.gz')).includes(Buffer.from('hunter'))).toBe(false);
    expect(await configsKind.verify(ctx, { env, release, artifact })).toEqual([]);
  });

  it('fails before writing anything when a secret is missing', async () => {
    const { ctx, dir } = project({ 'config/app.yml': base });
    const releaseDir = fs.mkdtempSync(path.join(dir, 'rel-'));
    const artifact = await configsKind.build(ctx, releaseDir);
    const env = ctx.config.environments[0]!;
    const release = { dir: releaseDir, manifest: { id: 'r1' } } as never;
    const plan = await configsKind.plan(ctx, { env, release, artifact });
    await expect(configsKind.stage(ctx, { env, release, artifact }, plan)).rejects.toMatchObject({ code: 'FERRY_SECRET_MISSING' });
    expect(fs.existsSync(path.join(dir, 'out/dev'))).toBe(false);
  });
});
