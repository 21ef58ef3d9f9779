import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically, writeAtomicallySync, writeDurably } from './durable-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flinkx-durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('durable files', () => {
  it('writeDurably writes the bytes', async () => {
    await writeDurably(join(dir, 'f'), new Uint8Array([1, 2]));
    expect([...readFileSync(join(dir, 'f'))]).toEqual([1, 2]);
  });

  it.each([
    ['writeAtomically', (path: string, data: string) => writeAtomically(path, data)],
    ['writeAtomicallySync', async (path: string, data: string) => writeAtomicallySync(path, data)],
  ])('%s replaces the file whole and leaves no temp file', async (_, write) => {
    await write(join(dir, 'f'), 'old');
    await write(join(dir, 'f'), 'new');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it.each([
    ['writeAtomically', (path: string, data: string) => writeAtomically(path, data)],
    ['writeAtomicallySync', async (path: string, data: string) => writeAtomicallySync(path, data)],
  ])(
    '%s: when the rename fails (a directory is in the way) the temp file written before it is removed',
    async (_, write) => {
      mkdirSync(join(dir, 'target', 'x'), { recursive: true });
      await expect(write(join(dir, 'target'), 'data')).rejects.toThrow();
      expect(readdirSync(dir)).toEqual(['target']);
    },
  );
});
