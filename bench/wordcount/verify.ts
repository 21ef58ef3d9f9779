/** The word-count job file, and the check that a variant's output gives exactly the hand-written loop's counts. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchFailure, log } from '../processes';

/** Mini-batch of the bench's (b') and (c') variants: bundles of up to 2,000 words or 100 ms. */
export const BENCH_MINI_BATCH = { latency: 100, size: 2000 };

export function writeJob(
  path: string,
  name: string,
  input: string,
  out: string,
  parallelism: number,
  miniBatch?: typeof BENCH_MINI_BATCH,
): void {
  const job = {
    name,
    parallelism,
    ...(miniBatch && { miniBatch }),
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: input } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: out } },
    ],
  };
  writeFileSync(path, JSON.stringify(job, null, 2) + '\n');
}

/** Final count per word: the last record per word across the part files (a key must stay in one). */
export function readFinalCounts(dir: string): { counts: Map<string, number>; records: number; parts: number } {
  const parts = readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl$/.test(f))
    .sort();
  if (parts.length === 0) throw new BenchFailure(`no part-*.jsonl in ${dir}`);
  const counts = new Map<string, number>();
  const partOf = new Map<string, string>();
  let records = 0;
  for (const part of parts) {
    const text = readFileSync(join(dir, part), 'utf8');
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      if (nl > start) {
        const r = JSON.parse(text.slice(start, nl)) as { word: unknown; count: unknown };
        if (typeof r.word !== 'string' || typeof r.count !== 'number')
          throw new BenchFailure(`${part}: unexpected record ${text.slice(start, nl)}`);
        const owner = partOf.get(r.word);
        if (owner !== undefined && owner !== part)
          throw new BenchFailure(
            `word ${JSON.stringify(r.word)} appears in ${owner} and ${part}: keyBy did not keep it in one subtask`,
          );
        partOf.set(r.word, part);
        counts.set(r.word, r.count);
        records++;
      }
      start = nl + 1;
    }
  }
  return { counts, records, parts: parts.length };
}

export function compareCounts(what: string, expected: Map<string, number>, actual: Map<string, number>): void {
  const problems: string[] = [];
  for (const [w, n] of expected) {
    const m = actual.get(w);
    if (m !== n) problems.push(`${JSON.stringify(w)}: expected ${n}, got ${m ?? 'nothing'}`);
  }
  for (const [w, m] of actual)
    if (!expected.has(w)) problems.push(`${JSON.stringify(w)}: unexpected word with count ${m}`);
  if (problems.length > 0) {
    throw new BenchFailure(
      `${what} does not match the hand-written loop: ${problems.length} word(s) differ (expected ${expected.size} words, got ${actual.size})\n  ` +
        problems.slice(0, 20).join('\n  '),
    );
  }
}

/** With `miniBatch`, fewer records than words (one per word per bundle); without, one per word. */
export function verify(
  what: string,
  out: string,
  expected: Map<string, number>,
  tokens: number,
  miniBatch = false,
): void {
  const { counts, records, parts } = readFinalCounts(out);
  compareCounts(what, expected, counts);
  // `sum` emits the running total for every input record: one output record per word occurrence.
  if (!miniBatch && records !== tokens)
    throw new BenchFailure(`${what}: ${records} output records, expected one per word (${tokens})`);
  if (miniBatch && records >= tokens)
    throw new BenchFailure(`${what}: ${records} output records with miniBatch, not fewer than the ${tokens} words`);
  log(`${what}: counts match (a): ${counts.size} distinct words, ${records} changelog records in ${parts} part files`);
}
