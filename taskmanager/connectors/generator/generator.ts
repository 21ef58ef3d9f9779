/**
 * Synthetic data. Record n of the whole source is a pure function of (seed, n), so any run, any
 * parallelism and any restart produce the same records; subtask i of p produces n = i, i+p, i+2p...
 *   format "text":     lines of `wordsPerLine` words drawn from a vocabulary of `vocabulary` words
 *   format "sequence": {seq: n}
 * `count` bounds the total (absent = unbounded); `rate` limits records/s over all subtasks.
 */
import type { GeneratorConnector } from './options';
import type { SourceReader, SubtaskInfo } from '../types';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pu', 'da', 'fe', 'go', 'hi', 'ju', 'be'];

/** Word k of the vocabulary: its base-16 digits spelled as syllables, so every k is distinct. */
export function vocabularyWord(k: number): string {
  let word = '';
  do {
    word += SYLLABLES[k & 15];
    k >>>= 4;
  } while (k > 0);
  return word;
}

/** mulberry32: a small, well-distributed PRNG step. */
function mix(x: number): number {
  x = (x + 0x6d2b79f5) | 0;
  let t = Math.imul(x ^ (x >>> 15), 1 | x);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

export function generatorRecord(c: GeneratorConnector, n: number): unknown {
  if (c.format === 'sequence') return { seq: n };
  let state = mix(c.seed ^ mix(n));
  const words: string[] = [];
  for (let i = 0; i < c.wordsPerLine; i++) {
    state = mix(state);
    // Squaring a uniform draw skews towards small k: a few common words, a long tail.
    const u = state / 4294967296;
    words.push(vocabularyWord(Math.floor(u * u * c.vocabulary)));
  }
  return words.join(' ');
}

/**
 * A source whose record n is a pure function of n: subtask i of p reads n = i, i+p, i+2p... below
 * `count` (absent = unbounded), at most `rate` records/s over all subtasks (absent = as fast as it can).
 */
export class SequenceSource implements SourceReader {
  private next: number;
  private emitted = 0;
  private readonly started = Date.now();

  constructor(
    private readonly bounds: { count?: number; rate?: number },
    private readonly task: SubtaskInfo,
    private readonly record: (n: number) => unknown,
  ) {
    this.next = task.subtask;
  }

  async read(max: number): Promise<unknown[] | null> {
    const { count, rate } = this.bounds;
    if (count !== undefined && this.next >= count) return null;
    let n = max;
    if (rate !== undefined) {
      const allowed = Math.floor(((Date.now() - this.started) * rate) / 1000 / this.task.parallelism) - this.emitted;
      if (allowed <= 0) {
        await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil((1000 * this.task.parallelism) / rate))));
        return [];
      }
      n = Math.min(n, allowed);
    }
    const out: unknown[] = [];
    while (out.length < n && (count === undefined || this.next < count)) {
      out.push(this.record(this.next));
      this.next += this.task.parallelism;
    }
    this.emitted += out.length;
    return out;
  }

  position(): unknown {
    return { next: this.next };
  }

  restore(position: unknown): void {
    this.next = (position as { next: number }).next;
  }

  async close(): Promise<void> {}
}

export class GeneratorSource extends SequenceSource {
  constructor(c: GeneratorConnector, task: SubtaskInfo) {
    super(c, task, (n) => generatorRecord(c, n));
  }
}
