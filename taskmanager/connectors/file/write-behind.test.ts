import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteBehind } from './write-behind';

const file = () => join(mkdtempSync(join(tmpdir(), 'write-behind-')), 'f.txt');

describe('WriteBehind', () => {
  test('appends land in order; drain waits for every one of them', async () => {
    const path = file();
    const w = new WriteBehind(await open(path, 'w'), 64);
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const line = `line ${i} ${'x'.repeat(i % 37)}\n`;
      expected.push(line);
      await w.append(Buffer.from(line));
    }
    await w.drain();
    expect(readFileSync(path, 'utf8')).toBe(expected.join(''));
    await w.close();
  });

  test('append returns while its write is in flight; past the limit it waits for everything queued', async () => {
    // A handle whose writes complete when the test says so.
    const written: string[] = [];
    const pending: (() => void)[] = [];
    const handle = {
      write: (b: Buffer, offset: number) =>
        new Promise<{ bytesWritten: number }>((done) =>
          pending.push(() => (written.push(b.subarray(offset).toString()), done({ bytesWritten: b.length - offset }))),
        ),
      close: async () => {},
    };
    const w = new WriteBehind(handle as unknown as FileHandle, 100);
    await w.append(Buffer.from('a'.repeat(10)));
    await w.append(Buffer.from('b'.repeat(10))); // queued behind the first write
    expect(pending).toHaveLength(1);
    let waited = false;
    const full = w.append(Buffer.from('c'.repeat(100))).then(() => (waited = true));
    await new Promise((r) => setImmediate(r));
    expect(waited).toBe(false);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    pending.shift()!(); // b and c, written together
    await full;
    expect(written).toEqual(['a'.repeat(10), 'b'.repeat(10) + 'c'.repeat(100)]);
  });

  test('a failed write fails the next append and drain with its error', async () => {
    const path = file();
    writeFileSync(path, '');
    const handle = await open(path, 'r'); // not writable: the write fails with EBADF
    const w = new WriteBehind(handle);
    await w.append(Buffer.from('lost\n'));
    await expect(w.drain()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(w.append(Buffer.from('next\n'))).rejects.toMatchObject({ code: 'EBADF' });
    await w.close();
  });

  test('a short write is written on from where it stopped; a write that takes nothing fails', async () => {
    const written: string[] = [];
    const takes = [3, 4, 100, 0];
    const handle = {
      write: async (b: Buffer, offset: number) => {
        const n = Math.min(takes.shift()!, b.length - offset);
        written.push(b.subarray(offset, offset + n).toString());
        return { bytesWritten: n };
      },
      close: async () => {},
    };
    const w = new WriteBehind(handle as unknown as FileHandle);
    await w.append(Buffer.from('0123456789'));
    await w.drain();
    expect(written).toEqual(['012', '3456', '789']);
    await w.append(Buffer.from('x'));
    await expect(w.drain()).rejects.toThrow('the file took none of 1 bytes');
  });
});
