import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { applyTo, FerryError, MemoryRunner } from '@ferry/core';
import { describeTargetConformance } from './conformance.js';
import { LocalDirTarget, MARKER } from './local-dir.js';
import { memorySource } from './memory-source.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-target-'));

describeTargetConformance('local directory', async () => new LocalDirTarget(path.join(tmp(), 'dags')));

describe('LocalDirTarget specifics', () => {
  const runner = new MemoryRunner();

  it('swaps a symlink so a reader that resolved the folder sees one whole release', async () => {
    const dir = path.join(tmp(), 'dags');
    const t = new LocalDirTarget(dir);
    await applyTo(t, memorySource({ 'a.py': '1', 'b.py': '1' }), 'r1', runner);
    const resolved = fs.realpathSync(dir);
    await applyTo(t, memorySource({ 'a.py': '2', 'b.py': '2' }), 'r2', runner);
    // The old tree is still intact for the reader that resolved it before the swap.
    expect(fs.readFileSync(path.join(resolved, 'a.py'), 'utf8')).toBe('1');
    expect(fs.readFileSync(path.join(resolved, 'b.py'), 'utf8')).toBe('1');
    expect(fs.lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'a.py'), 'utf8')).toBe('2');
    expect(JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')).releaseId).toBe('r2');
  });

  it('hard-links unchanged files instead of writing them', async () => {
    const dir = path.join(tmp(), 'dags');
    const t = new LocalDirTarget(dir);
    await applyTo(t, memorySource({ 'same.py': 'x', 'changed.py': '1' }), 'r1', runner);
    const before = fs.statSync(path.join(dir, 'same.py')).ino;
    await applyTo(t, memorySource({ 'same.py': 'x', 'changed.py': '2' }), 'r2', runner);
    expect(fs.statSync(path.join(dir, 'same.py')).ino).toBe(before);
  });

  it('adopts a plain folder by moving it aside, and says so in the state', async () => {
    const dir = path.join(tmp(), 'dags');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'legacy.py'), 'old');
    const t = new LocalDirTarget(dir);
    expect((await t.state()).notes.join()).toMatch(/plain folder/);
    await applyTo(t, memorySource({ 'a.py': 'new' }), 'r1', runner);
    expect(fs.readdirSync(dir).sort()).toEqual([MARKER, 'a.py']);
    const base = path.join(path.dirname(dir), '.dags.ferry');
    expect(fs.readdirSync(base).some((n) => n.startsWith('adopted-'))).toBe(true);
  });

  it('keeps only `keep` old trees besides the live one', async () => {
    const dir = path.join(tmp(), 'dags');
    const t = new LocalDirTarget(dir, 2);
    for (let i = 1; i <= 5; i++) await applyTo(t, memorySource({ 'a.py': String(i) }), `r${i}`, runner);
    const trees = fs.readdirSync(path.join(path.dirname(dir), '.dags.ferry', 'trees'));
    expect(trees).toContain('r5');
    expect(trees.length).toBeLessThanOrEqual(3);
  });

  it('refuses a second deploy while one holds the lock, and takes over a dead holder', async () => {
    const dir = path.join(tmp(), 'dags');
    const t = new LocalDirTarget(dir);
    const base = path.join(path.dirname(dir), '.dags.ferry');
    fs.mkdirSync(base, { recursive: true });
    fs.writeFileSync(path.join(base, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname() }));
    await expect(applyTo(t, memorySource({ a: '1' }), 'r1', runner)).rejects.toMatchObject({ code: 'FERRY_LOCKED' });
    fs.writeFileSync(path.join(base, 'lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: os.hostname() }));
    await applyTo(t, memorySource({ a: '1' }), 'r1', runner);
    expect(fs.existsSync(path.join(base, 'lock'))).toBe(false);
  });

  it('cleans staging folders left by a crashed deploy and reports them first', async () => {
    const dir = path.join(tmp(), 'dags');
    const t = new LocalDirTarget(dir);
    await applyTo(t, memorySource({ a: '1' }), 'r1', runner);
    const base = path.join(path.dirname(dir), '.dags.ferry');
    fs.mkdirSync(path.join(base, 'staging-dead'));
    expect((await t.state()).notes.join()).toMatch(/unfinished deploy/);
    await applyTo(t, memorySource({ a: '2' }), 'r2', runner);
    expect(fs.existsSync(path.join(base, 'staging-dead'))).toBe(false);
    expect((await t.state()).notes).toEqual([]);
  });

  it('refuses a target path that is a file', async () => {
    const file = path.join(tmp(), 'dags');
    fs.writeFileSync(file, 'x');
    const err = await applyTo(new LocalDirTarget(file), memorySource({ a: '1' }), 'r1', runner).catch((e) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect(err.code).toBe('FERRY_PATH_NOT_DIR');
  });
});
