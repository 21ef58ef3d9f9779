/**
 * Synthetic data. Record n of the whole source is a pure function of (seed, n), so any run, any
 * parallelism and any restart produce the same records; subtask i of p produces n = i, i+p, i+2p...
 *   format "text":     lines of `wordsPerLine` words drawn from a vocabulary of `vocabulary` words
 *   format "sequence": {seq: n}
 * `count` bounds the total (absent = unbounded); `rate` limits records/s over all subtasks.
 */
import { delay } from '../../../common/async';
import type { GeneratorConnector } from '../../../common/connectors/generator';
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

/** The records n = next, next+stride, ... one subtask has left to produce (one old subtask's share after a rescale). */
export interface SequenceSplit {
  next: number;
  stride: number;
}

/**
 * A source whose record n is a pure function of n: subtask i of p reads n = i, i+p, i+2p... below
 * `count` (absent = unbounded), at most `rate` records/s over all subtasks (absent = as fast as it can).
 * Its position is its splits: one at first; restored at another parallelism, a subtask takes the
 * splits of the old subtasks assigned to it (taskmanager/checkpoint/rescale.ts) and reads them in turn.
 */
export class SequenceSource implements SourceReader {
  private splits: SequenceSplit[];
  private emitted = 0;
  private readonly started = Date.now();

  constructor(
    private readonly bounds: { count?: number; rate?: number },
    private readonly task: SubtaskInfo,
    private readonly record: (n: number) => unknown,
  ) {
    this.splits = [{ next: task.subtask, stride: task.parallelism }];
  }

  private live(s: SequenceSplit): boolean {
    return this.bounds.count === undefined || s.next < this.bounds.count;
  }

  async read(max: number): Promise<unknown[] | null> {
    const { rate } = this.bounds;
    if (!this.splits.some((s) => this.live(s))) return null;
    let n = max;
    if (rate !== undefined) {
      const allowed = Math.floor(((Date.now() - this.started) * rate) / 1000 / this.task.parallelism) - this.emitted;
      if (allowed <= 0) {
        await delay(Math.max(1, Math.ceil((1000 * this.task.parallelism) / rate)));
        return [];
      }
      n = Math.min(n, allowed);
    }
    const out: unknown[] = [];
    for (let more = true; more && out.length < n;) {
      more = false;
      for (const s of this.splits) {
        if (out.length >= n || !this.live(s)) continue;
        out.push(this.record(s.next));
        s.next += s.stride;
        more = true;
      }
    }
    this.emitted += out.length;
    return out;
  }

  position(): unknown {
    return { splits: this.splits.map((s) => ({ ...s })) };
  }

  restore(position: unknown): void {
    this.splits = (position as { splits: SequenceSplit[] }).splits.map((s) => ({ ...s }));
  }

  async close(): Promise<void> {}
}

export class GeneratorSource extends SequenceSource {
  constructor(c: GeneratorConnector, task: SubtaskInfo) {
    super(c, task, (n) => generatorRecord(c, n));
  }
}
