import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError } from '../../../common/errors';
import { FileSource } from './file-source';
import type { SubtaskInfo } from '../types';

/** One subtask of `parallelism`, first attempt, no checkpointing. */
const subtaskOf = (subtask: number, parallelism: number): SubtaskInfo =>
  ({ subtask, parallelism, attempt: 0, mode: undefined }) as SubtaskInfo;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkx-file-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
async function fileWith(content: string | Buffer): Promise<string> {
  const path = join(dir, `input-${fileNo++}.txt`);
  await writeFile(path, content);
  return path;
}

/** Read one subtask to the end, `max` records at a time. */
async function readAll(path: string, subtask: number, parallelism: number, max: number): Promise<string[]> {
  const src = new FileSource(path, subtaskOf(subtask, parallelism));
  const lines: string[] = [];
  try {
    for (let calls = 0; ; calls++) {
      if (calls > 1_000_000) throw new Error('source never ended');
      const got = await src.read(max);
      if (got === null) break;
      expect(got.length).toBeLessThanOrEqual(max);
      lines.push(...(got as string[]));
    }
    // once ended it stays ended
    await expect(src.read(max)).resolves.toBeNull();
  } finally {
    await src.close();
  }
  return lines;
}

async function readSubtasks(path: string, parallelism: number, max: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < parallelism; i++) out.push(await readAll(path, i, parallelism, max));
  return out;
}

/** The lines a reader of `content` should see: split on \n, a trailing \r dropped, no line after a final \n. */
function expectedLines(content: string): string[] {
  if (content === '') return [];
  const parts = content.split('\n');
  if (content.endsWith('\n')) parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const MIXED = [
  'first line',
  'Grüße aus München — ß',
  '東京 大阪 名古屋',
  '',
  'windows line\r',
  'emoji 😀🎉 and more',
  'x',
  '',
  '\r',
  'Ελληνικά κείμενο',
  'last line without newline',
].join('\n');

describe('FileSource', () => {
  it('reads every line of a mixed file at parallelism 1, in order', async () => {
    const path = await fileWith(MIXED);
    const lines = await readAll(path, 0, 1, 1000);
    expect(lines).toEqual([
      'first line',
      'Grüße aus München — ß',
      '東京 大阪 名古屋',
      '',
      'windows line',
      'emoji 😀🎉 and more',
      'x',
      '',
      '',
      'Ελληνικά κείμενο',
      'last line without newline',
    ]);
  });

  for (let p = 1; p <= 5; p++) {
    for (const max of [1, 3, 1000]) {
      it(`parallelism ${p}, read(${max}): every line exactly once, in order within and across subtasks`, async () => {
        const path = await fileWith(MIXED);
        const parts = await readSubtasks(path, p, max);
        expect(parts.flat()).toEqual(expectedLines(MIXED));
      });
    }
  }

  it('handles a file ending in a newline and CRLF line endings throughout', async () => {
    const content = 'a\r\nbb\r\n\r\nccc\r\nÄÖÜ\r\n';
    const path = await fileWith(content);
    for (let p = 1; p <= 5; p++) {
      const parts = await readSubtasks(path, p, 2);
      expect(parts.flat()).toEqual(['a', 'bb', '', 'ccc', 'ÄÖÜ']);
    }
  });

  it('reads nothing from an empty file, and one empty line from a file of just "\\n"', async () => {
    const empty = await fileWith('');
    const newline = await fileWith('\n');
    for (let p = 1; p <= 5; p++) {
      expect((await readSubtasks(empty, p, 10)).flat()).toEqual([]);
      expect((await readSubtasks(newline, p, 10)).flat()).toEqual(['']);
    }
  });

  it('splits a multi-chunk file (lines crossing 256 KiB read boundaries) exactly, p = 1..5', async () => {
    // deterministic varied line lengths, multi-byte characters, and one line longer than a read chunk
    const lines: string[] = [];
    let x = 12345;
    for (let i = 0; i < 20000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const len = x % 60;
      lines.push(`${i}:` + 'é東a'.repeat(len % 7) + 'z'.repeat(len));
      if (i === 7000) lines.push('L'.repeat(300 * 1024));
    }
    const content = lines.join('\n') + '\ntail';
    const path = await fileWith(content);
    const expected = [...lines, 'tail'];
    for (let p = 1; p <= 5; p++) {
      const parts = await readSubtasks(path, p, 256);
      const all = parts.flat();
      expect(all.length).toBe(expected.length);
      expect(all).toEqual(expected);
      if (p > 1) for (const part of parts) expect(part.length).toBeGreaterThan(0);
    }
  });

  it('gives every line to exactly one subtask for many small files at parallelism 1..7', async () => {
    // brute force over boundaries: small random files where range edges hit every kind of byte
    let x = 99;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const alphabet = ['a', 'b', '\n', '\n', '\r\n', 'ü', '€', '😀', ' '];
    for (let f = 0; f < 60; f++) {
      let content = '';
      const len = rnd(25);
      for (let i = 0; i < len; i++) content += alphabet[rnd(alphabet.length)];
      const path = await fileWith(content);
      for (let p = 1; p <= 7; p++) {
        const got = (await readSubtasks(path, p, 1 + rnd(3))).flat();
        expect({ content, p, got }).toEqual({ content, p, got: expectedLines(content) });
      }
    }
  });

  it('decodes multi-byte UTF-8 without mangling at any split', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => '€😀ü'.repeat(i % 9) + String(i));
    const path = await fileWith(lines.join('\n'));
    for (let p = 1; p <= 5; p++) {
      const all = (await readSubtasks(path, p, 7)).flat();
      expect(all).toEqual(lines);
      expect(all.some((l) => l.includes('\uFFFD'))).toBe(false);
    }
  });

  it('resumes from position() at the next unread line: nothing lost, nothing repeated (p = 1..3)', async () => {
    const path = await fileWith(MIXED);
    for (let p = 1; p <= 3; p++) {
      for (let i = 0; i < p; i++) {
        const whole = await readAll(path, i, p, 1000);
        for (let taken = 0; taken <= whole.length; taken++) {
          const first = new FileSource(path, subtaskOf(i, p));
          const head: string[] = [];
          while (head.length < taken) head.push(...((await first.read(taken - head.length)) as string[]));
          const position = JSON.parse(JSON.stringify(first.position())); // as stored in a checkpoint
          await first.close();
          const second = new FileSource(path, subtaskOf(i, p));
          second.restore(position);
          const rest: string[] = [];
          for (let got = await second.read(2); got !== null; got = await second.read(2))
            rest.push(...(got as string[]));
          await second.close();
          expect({ p, i, taken, lines: [...head, ...rest] }).toEqual({ p, i, taken, lines: whole });
        }
      }
    }
  });

  it('fails with ConnectorError naming the path when the file does not exist', async () => {
    const missing = join(dir, 'does-not-exist.txt');
    const src = new FileSource(missing, subtaskOf(0, 1));
    const err = await src.read(10).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('CONNECTOR_FAILED');
    expect((err as Error).message).toContain(missing);
    await src.close();
  });
});
