import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { FerryError, type Problem } from '../errors/index.js';
import { schemaFileContent } from './json-schema.js';
import { getEnvironment, loadConfig, parseConfig } from './load.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-config-'));
  for (const [p, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), c);
  }
  return dir;
}

function problems(text: string, extra: Record<string, string> = {}): Problem[] {
  const dir = project({ 'dags/a.py': 'x = 1\n', ...extra, 'ferry.yml': text });
  try {
    loadConfig(path.join(dir, 'ferry.yml'));
  } catch (e) {
    if (e instanceof FerryError) return e.problems;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

const valid = `project: demo
artifacts:
  dags:
    path: dags
environments:
  - name: dev
    targets:
      dags: { kind: local, path: out/dev }
  - name: prod
    requires: dev
    targets:
      dags: { kind: local, path: out/prod }
`;

describe('loadConfig', () => {
  it('loads a valid file, resolving paths and the production environment', () => {
    const dir = project({ 'dags/a.py': '', 'ferry.yml': valid });
    const c = loadConfig(path.join(dir, 'ferry.yml'));
    expect(c.project).toBe('demo');
    expect(c.artifacts.dags!.dir).toBe(path.join(dir, 'dags'));
    expect(c.artifacts.dags!.include).toEqual(['**/*']);
    expect(c.environments.map((e) => [e.name, e.production, e.requires])).toEqual([
      ['dev', false, undefined],
      ['prod', true, 'dev'],
    ]);
    expect((c.environments[0]!.targets.dags as { path: string }).path).toBe(path.join(dir, 'out/dev'));
    expect(c.release.store).toBe(path.join(dir, '.ferry/releases'));
  });

  it('defaults to dev, staging and prod with local targets, prod requiring staging', () => {
    const dir = project({ 'dags/a.py': '', 'ferry.yml': 'project: demo\nartifacts:\n  dags:\n    path: dags\n' });
    const c = loadConfig(path.join(dir, 'ferry.yml'));
    expect(c.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(getEnvironment(c, 'prod')).toMatchObject({ requires: 'staging', production: true });
    expect((getEnvironment(c, 'staging').targets.dags as { path: string }).path).toBe(path.join(dir, '.ferry/targets/staging/dags'));
  });

  it('reports every problem at once, each with key path and line', () => {
    const ps = problems(`project: Demo Project
artifacts:
  dags:
    path: dags
    exclud: []
enviroments: []
`);
    const byCode = (c: string) => ps.filter((p) => p.code === c);
    expect(ps.length).toBeGreaterThanOrEqual(3);
    expect(byCode('FERRY_CONFIG_INVALID')[0]!.location).toMatchObject({ key: 'project', line: 1 });
    const unknown = byCode('FERRY_CONFIG_UNKNOWN_KEY');
    expect(unknown.map((p) => p.location?.line).sort()).toEqual([5, 6]);
    expect(unknown.find((p) => p.location?.line === 6)!.message).toMatch(/did you mean "environments"/i);
    expect(unknown.find((p) => p.location?.line === 5)!.message).toMatch(/did you mean "exclude"/i);
    expect(unknown.find((p) => p.location?.line === 5)!.location!.key).toBe('artifacts.dags.exclud');
  });

  it('suggests keys inside a target by its kind', () => {
    const ps = problems(valid.replace('{ kind: local, path: out/dev }', '{ kind: local, pth: out/dev }'));
    expect(ps[0]!.code).toBe('FERRY_CONFIG_UNKNOWN_KEY');
    expect(ps[0]!.message).toMatch(/"pth".*did you mean "path"/i);
    expect(ps[0]!.location).toMatchObject({ key: 'environments[0].targets.dags.pth', line: 8 });
  });

  it('points YAML syntax errors at their line', () => {
    const ps = problems('project: demo\nartifacts:\n  dags:\n   path: dags\n  - nope\n');
    expect(ps[0]!.code).toBe('FERRY_CONFIG_YAML');
    expect(ps[0]!.location!.line).toBe(5);
  });

  it('refuses duplicate keys, duplicate environments and bad `requires`', () => {
    expect(problems('project: a\nproject: b\nartifacts: {}\n')[0]!.code).toBe('FERRY_CONFIG_YAML');
    const ps = problems(`project: demo
artifacts: {}
environments:
  - name: dev
    requires: prod
  - name: dev
  - name: prod
    requires: stagin
`);
    expect(ps.map((p) => p.code).sort()).toEqual(['FERRY_CONFIG_DUPLICATE_ENV', 'FERRY_CONFIG_REQUIRES', 'FERRY_CONFIG_REQUIRES']);
    expect(ps.find((p) => p.location?.line === 5)!.message).toMatch(/after it/);
  });

  it('keeps artifact paths inside the project', () => {
    expect(problems(valid.replace('path: dags', 'path: ../dags'))[0]).toMatchObject({ code: 'FERRY_PATH_ESCAPES', location: { key: 'artifacts.dags.path', line: 4 } });
    expect(problems(valid.replace('path: dags', 'path: /etc'))[0]!.code).toBe('FERRY_PATH_ESCAPES');
    expect(problems(valid.replace('path: dags', 'path: nope'))[0]!.code).toBe('FERRY_PATH_NOT_FOUND');
    expect(problems(valid.replace('path: dags', 'path: dags/a.py'))[0]!.code).toBe('FERRY_PATH_NOT_DIR');
  });

  it('needs a target for every declared artifact in every environment', () => {
    const ps = problems(valid.replace("    targets:\n      dags: { kind: local, path: out/prod }\n", ''));
    expect(ps[0]).toMatchObject({ code: 'FERRY_CONFIG_MISSING_TARGET' });
    expect(ps[0]!.message).toMatch(/prod/);
  });

  it('reports an unknown environment with a suggestion', () => {
    const dir = project({ 'dags/a.py': '', 'ferry.yml': valid });
    const c = loadConfig(path.join(dir, 'ferry.yml'));
    expect(() => getEnvironment(c, 'prd')).toThrow(/did you mean "prod"/);
  });

  it('checks freeze windows when loading: cron, RRULE and time zone, each at its line', () => {
    const ps = problems(`project: demo
artifacts:
  dags:
    path: dags
environments:
  - name: prod
    targets: { dags: { kind: local, path: out/prod } }
    freeze:
      - { name: fri, cron: "61 16 * * 5", duration: 2h }
      - { name: rr, rrule: "FREQ=SOMETIMES", duration: 2h }
      - { name: tz, rrule: "DTSTART:20260101T000000Z;FREQ=DAILY", duration: 2h }
      - { name: zone, cron: "0 16 * * 5", duration: 2h, timezone: Europe/Bärlin }
      - { name: ok, rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16", duration: 2h, timezone: Europe/Berlin }
`);
    expect(ps.map((p) => [p.location?.key, p.location?.line])).toEqual([
      ['environments[0].freeze[0].cron', 9],
      ['environments[0].freeze[1].rrule', 10],
      ['environments[0].freeze[2].rrule', 11],
      ['environments[0].freeze[3].timezone', 12],
    ]);
    expect(ps[0]!.message).toContain('"61 16 * * 5" is not a valid cron expression');
    expect(ps[2]!.message).toContain('the time zone goes in `timezone`');
  });

  it('parses an empty document as a missing project', () => {
    expect(() => parseConfig('', '/x/ferry.yml')).toThrow(FerryError);
  });
});

describe('examples/data-platform/ferry.cloud.yml', () => {
  it('loads: S3 DAG folders, Airflow 3, dbt targets and image promotion for staging and prod', () => {
    const c = loadConfig(path.join(repoRoot, 'examples/data-platform/ferry.cloud.yml'));
    const prod = getEnvironment(c, 'prod');
    expect(prod.targets.dags).toMatchObject({ kind: 's3', bucket: 'acme-airflow-prod', prefix: 'dags/' });
    expect(prod).toMatchObject({ requiresApproval: true, requires: 'staging', airflow: { api: 'v2' }, images: { kind: 'registry', tag: 'prod' }, dbt: { target: 'prod' } });
    expect(c.artifacts.images).toEqual([{ name: 'data-platform-runtime', image: 'ghcr.io/acme/data-platform-runtime:1.4.0' }]);
  });
});

describe('ferry.schema.json', () => {
  const committed = fs.readFileSync(path.join(repoRoot, 'ferry.schema.json'), 'utf8');

  it('is the zod schema, regenerated (run `pnpm schema` when this fails)', () => {
    expect(committed).toBe(schemaFileContent());
  });

  it('accepts the example project and rejects what the loader rejects', () => {
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(JSON.parse(committed));
    const example = parseYaml(fs.readFileSync(path.join(repoRoot, 'examples/data-platform/ferry.yml'), 'utf8'));
    expect(validate(example)).toBe(true);
    expect(validate({ ...example, enviroments: [] })).toBe(false);
  });
});
