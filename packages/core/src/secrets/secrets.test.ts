import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MemoryRunner } from '../runner/runner.js';
import { readSecretsFile, secretLookup } from './secrets.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-secrets-'));

describe('secrets from a mounted file', () => {
  it('reads a folder of files (Kubernetes style), a JSON/YAML mapping and a dotenv file, masking every value at once', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'k8s'));
    fs.writeFileSync(path.join(dir, 'k8s', 'DB_PASSWORD'), 's3cr3t-folder\n');
    fs.mkdirSync(path.join(dir, 'k8s', '..data'));
    fs.writeFileSync(path.join(dir, 'secrets.json'), JSON.stringify({ API_TOKEN: 'tok-json', PORT: 5432 }));
    fs.writeFileSync(path.join(dir, 'secrets.yml'), 'API_TOKEN: tok-yaml\n');
    fs.writeFileSync(path.join(dir, 'secrets.env'), '# comment\nexport API_TOKEN="tok-env"\nOTHER=plain=with=equals\n');
    const r = new MemoryRunner();
    expect(readSecretsFile(path.join(dir, 'k8s'), r)).toEqual({ DB_PASSWORD: 's3cr3t-folder' });
    expect(readSecretsFile(path.join(dir, 'secrets.json'), r)).toEqual({ API_TOKEN: 'tok-json', PORT: '5432' });
    expect(readSecretsFile(path.join(dir, 'secrets.yml'), r)).toEqual({ API_TOKEN: 'tok-yaml' });
    expect(readSecretsFile(path.join(dir, 'secrets.env'), r)).toEqual({ API_TOKEN: 'tok-env', OTHER: 'plain=with=equals' });
    expect(r.masked).toEqual(expect.arrayContaining(['s3cr3t-folder', 'tok-json', 'tok-yaml', 'tok-env', 'plain=with=equals']));
  });

  it('never quotes a broken file and names a missing one', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'bad.env'), 'GOOD=1\nthis line holds hunter2 in clear\n');
    const r = new MemoryRunner();
    expect(() => readSecretsFile(path.join(dir, 'bad.env'), r)).toThrow(/line 2 is not NAME=value \(its content is not shown\)/);
    expect(() => readSecretsFile(path.join(dir, 'bad.env'), r)).not.toThrow(/hunter2/);
    expect(() => readSecretsFile(path.join(dir, 'nope'), r)).toThrow(/does not exist/);
  });

  it('looks up sources in order, then the environment, masking what it hands out', () => {
    const r = new MemoryRunner();
    const lookup = secretLookup([{ A: 'from-input' }, { A: 'from-file', B: 'file-b' }], r, { A: 'env-a', C: 'env-c' });
    expect([lookup('A'), lookup('B'), lookup('C'), lookup('D')]).toEqual(['from-input', 'file-b', 'env-c', undefined]);
    expect(r.masked).toEqual(['from-input', 'file-b', 'env-c']);
  });
});
