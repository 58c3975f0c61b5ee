import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeLedgerConformance } from './conformance.js';
import { LocalFileLedger } from './local-file.js';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-ledger-')), '.ferry', 'ledger.json');

describeLedgerConformance('local file', async () => new LocalFileLedger(tmpFile()));

describe('LocalFileLedger', () => {
  it('reports a corrupt ledger file instead of overwriting it', async () => {
    const file = tmpFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{ not json');
    const l = new LocalFileLedger(file);
    await expect(l.start({ environment: 'dev', releaseId: 'x', version: 'v', commit: 'c', ref: 'r', production: false, manifestDigest: 'd', description: '' })).rejects.toMatchObject({ code: 'FERRY_LEDGER' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{ not json');
  });
});
