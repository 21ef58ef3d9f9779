/** Text for word-count tests and the counts computed independently of the runtime. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Looked up once: a global's property read per call is slow in jest's sandbox (a word count's
// output is a million lines or so).
const { imul } = Math;
const { parse } = JSON;

/** Deterministic text with Unicode words, digits and punctuation runs. */
export function writeText(path: string, lines: number, seed = 1): void {
  const vocab = ['alpha', 'Beta', 'γάμμα', 'Straße', '東京', 'naïve', 'x1', '42', 'flink', 'STREAM', 'über', 'ok'];
  for (let i = 0; i < 2000; i++) vocab.push(`w${i}`);
  const seps = [' ', ', ', ' -- ', '!?', '\t', "'", '. '];
  let s = seed >>> 0;
  const rand = (n: number) => {
    s = (imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 1 + rand(12);
    let line = '';
    for (let w = 0; w < n; w++) line += vocab[rand(vocab.length)] + seps[rand(seps.length)];
    out.push(line);
  }
  writeFileSync(path, out.join('\n') + '\n');
}

export function expectedCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u))
    if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/**
 * The last record per word across a file sink's visible part files: the final counts. Files of one
 * subtask sort in the order they were committed (`part-<i>.jsonl`, or `part-<i>-<checkpoint>.jsonl`
 * then `part-<i>-final.jsonl`); keys never span subtasks.
 */
export function sinkCounts(folder: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of changelog(folder)) counts.set(r.word, r.count);
  return counts;
}

/** Every visible record of a file sink, in commit order per subtask. */
export function changelog(folder: string): { word: string; count: number }[] {
  const names = readdirSync(folder)
    .filter((n) => /^part-\d+(-(\d+|final))?\.jsonl$/.test(n))
    .sort();
  const records: { word: string; count: number }[] = [];
  for (const n of names) {
    for (const line of readFileSync(join(folder, n), 'utf8').split('\n')) if (line) records.push(parse(line));
  }
  return records;
}

/** Exactly once: each word's updates, in commit order, must be 1, 2, ..., n; these are not. */
export function changelogOutOfStep(folder: string): string[] {
  const seen = new Map<string, number>();
  const outOfStep: string[] = [];
  for (const r of changelog(folder)) {
    if (r.count !== (seen.get(r.word) ?? 0) + 1) outOfStep.push(`${r.word}: ${seen.get(r.word)} then ${r.count}`);
    seen.set(r.word, r.count);
  }
  return outOfStep;
}

export function wordcountJob(input: string, output: string, parallelism: number, extra: Record<string, unknown> = {}) {
  return {
    name: 'wordcount',
    parallelism,
    ...extra,
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: input } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: output } },
    ],
  };
}

/**
 * wordcountJob with a map between the source and the tokenizer that calls `fn` of the job's
 * functions module pace.js (test/harness.ts's paceModule, written by writePacedJob): `pace` keeps
 * the job mid-stream on a short input for as long as a test needs, `pass` runs it unpaced.
 */
export function pacedWordcountJob(
  input: string,
  output: string,
  parallelism: number,
  extra: Record<string, unknown> = {},
  fn: 'pace' | 'pass' = 'pace',
) {
  const spec = wordcountJob(input, output, parallelism, { functions: 'pace.js', ...extra });
  const nodes: Record<string, unknown>[] = [...spec.nodes];
  nodes.splice(1, 0, { id: 'paced', type: 'map', inputs: ['lines'], fn });
  nodes[2] = { ...nodes[2], inputs: ['paced'] };
  return { ...spec, nodes };
}
