import { GeneratorConnectorSchema, type GeneratorConnector } from '../../../common/connectors/generator';
import { GeneratorSource, generatorRecord, vocabularyWord } from './generator';
import type { SubtaskInfo } from '../types';

/** One subtask of `parallelism`, first attempt, no checkpointing. */
const subtaskOf = (subtask: number, parallelism: number): SubtaskInfo =>
  ({ subtask, parallelism, attempt: 0, mode: undefined }) as SubtaskInfo;

const connector = (c: Partial<GeneratorConnector> = {}): GeneratorConnector =>
  GeneratorConnectorSchema.parse({ kind: 'generator', ...c });

async function drain(src: GeneratorSource, max: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let calls = 0; ; calls++) {
    if (calls > 100_000) throw new Error('generator never ended');
    const got = await src.read(max);
    if (got === null) break;
    expect(got.length).toBeLessThanOrEqual(max);
    out.push(...got);
  }
  await expect(src.read(max)).resolves.toBeNull();
  return out;
}

describe('vocabularyWord', () => {
  it('is distinct for every k in 0..4095', () => {
    const words = Array.from({ length: 4096 }, (_, k) => vocabularyWord(k));
    expect(new Set(words).size).toBe(4096);
    for (const w of words) expect(w).toMatch(/^[a-z]+$/);
  });

  it('is a pure function of k', () => {
    expect(vocabularyWord(0)).toBe(vocabularyWord(0));
    expect(vocabularyWord(1234)).toBe(vocabularyWord(1234));
    expect(vocabularyWord(0)).not.toBe(vocabularyWord(16));
  });
});

describe('generatorRecord', () => {
  it('sequence format gives {seq: n}', () => {
    const c = connector({ format: 'sequence' });
    expect(generatorRecord(c, 0)).toEqual({ seq: 0 });
    expect(generatorRecord(c, 41)).toEqual({ seq: 41 });
  });

  it('text format gives wordsPerLine words from the vocabulary', () => {
    const c = connector({ wordsPerLine: 5, vocabulary: 20 });
    const vocab = new Set(Array.from({ length: 20 }, (_, k) => vocabularyWord(k)));
    for (let n = 0; n < 200; n++) {
      const line = generatorRecord(c, n) as string;
      const ws = line.split(' ');
      expect(ws).toHaveLength(5);
      for (const w of ws) expect(vocab.has(w)).toBe(true);
    }
  });

  it('is deterministic: the same seed gives the same text', () => {
    const a = connector({ seed: 7 });
    const b = connector({ seed: 7 });
    for (let n = 0; n < 50; n++) expect(generatorRecord(a, n)).toBe(generatorRecord(b, n));
  });

  it('another seed gives different text', () => {
    const a = Array.from({ length: 50 }, (_, n) => generatorRecord(connector({ seed: 1 }), n));
    const b = Array.from({ length: 50 }, (_, n) => generatorRecord(connector({ seed: 2 }), n));
    expect(a).not.toEqual(b);
    // not just one record: most lines differ
    expect(a.filter((x, i) => x !== b[i]).length).toBeGreaterThan(40);
  });

  it('different n give different lines (with a large vocabulary)', () => {
    const c = connector({ vocabulary: 10000, wordsPerLine: 8 });
    const lines = new Set(Array.from({ length: 500 }, (_, n) => generatorRecord(c, n)));
    expect(lines.size).toBe(500);
  });

  it('uses a large part of the vocabulary, skewed towards small k', () => {
    const c = connector({ vocabulary: 100, wordsPerLine: 10 });
    const counts = new Map<string, number>();
    for (let n = 0; n < 2000; n++)
      for (const w of (generatorRecord(c, n) as string).split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
    expect(counts.size).toBeGreaterThan(80);
    expect(counts.get(vocabularyWord(0))!).toBeGreaterThan(counts.get(vocabularyWord(99)) ?? 0);
  });
});

describe('GeneratorSource (bounded)', () => {
  for (const count of [0, 1, 7, 100, 1001]) {
    for (let p = 1; p <= 5; p++) {
      it(`count ${count} over ${p} subtasks: exactly count records, no duplicates`, async () => {
        const c = connector({ format: 'sequence', count });
        const seqs: number[] = [];
        for (let i = 0; i < p; i++) {
          const got = (await drain(new GeneratorSource(c, subtaskOf(i, p)), 64)) as { seq: number }[];
          // subtask i produces i, i+p, i+2p, ... in order
          got.forEach((r, j) => expect(r.seq).toBe(i + j * p));
          seqs.push(...got.map((r) => r.seq));
        }
        expect(seqs).toHaveLength(count);
        expect(new Set(seqs).size).toBe(count);
        expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, n) => n));
      });
    }
  }

  it('text records are the same across parallelisms: record n depends only on (seed, n)', async () => {
    const c = connector({ count: 30, seed: 3 });
    const serial = await drain(new GeneratorSource(c, subtaskOf(0, 1)), 1000);
    expect(serial).toHaveLength(30);
    const sub1of3 = await drain(new GeneratorSource(c, subtaskOf(1, 3)), 4);
    expect(sub1of3).toEqual(serial.filter((_, n) => n % 3 === 1));
  });

  it('respects max per read', async () => {
    const src = new GeneratorSource(connector({ format: 'sequence', count: 10 }), subtaskOf(0, 1));
    expect(await src.read(4)).toEqual([{ seq: 0 }, { seq: 1 }, { seq: 2 }, { seq: 3 }]);
    expect(await src.read(4)).toEqual([{ seq: 4 }, { seq: 5 }, { seq: 6 }, { seq: 7 }]);
    expect(await src.read(4)).toEqual([{ seq: 8 }, { seq: 9 }]);
    expect(await src.read(4)).toBeNull();
  });

  it('resumes from position() where it left off', async () => {
    const c = connector({ format: 'sequence', count: 50 });
    const first = new GeneratorSource(c, subtaskOf(1, 3));
    const head = (await first.read(5))!;
    const position = JSON.parse(JSON.stringify(first.position()));
    const second = new GeneratorSource(c, subtaskOf(1, 3));
    second.restore(position);
    const rest = await drain(second, 4);
    const whole = await drain(new GeneratorSource(c, subtaskOf(1, 3)), 100);
    expect([...head, ...rest]).toEqual(whole);
  });

  it('an unbounded generator never ends', async () => {
    const src = new GeneratorSource(connector({ format: 'sequence' }), subtaskOf(2, 3));
    for (let i = 0; i < 5; i++) expect(await src.read(100)).toHaveLength(100);
    const more = (await src.read(1)) as { seq: number }[];
    expect(more).toEqual([{ seq: 2 + 500 * 3 }]);
  });
});
