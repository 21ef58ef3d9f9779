/**
 * The word count's input: deterministic, Zipf-distributed words with capitals, punctuation, digits
 * and non-ASCII text; and (a), the hand-written loop every variant's counts are checked against.
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { intEnv } from '../processes';
import { mulberry32 } from '../../common/prng';

export const LINES = intEnv('BENCH_LINES', 500_000);
export const WORDS_PER_LINE = intEnv('BENCH_WORDS_PER_LINE', 10);
export const VOCABULARY = intEnv('BENCH_VOCABULARY', 10_000);

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ze',
  'pu',
  'da',
  'fe',
  'go',
  'hi',
  'ju',
  'be',
  'str',
  'an',
  'or',
  'el',
];
const ACCENTED = ['é', 'ü', 'ñ', 'ø', 'å', 'ç'];
const CJK = ['数', '据', '流', '处', '理', '词', '频', '计'];
const PUNCT = [',', '.', ';', ':', '!', '?', ' -', ' —', ')', '"'];

/** Distinct words, each exactly one token under the built-in tokenizer (letters/digits only). */
function vocabulary(n: number, rnd: () => number): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < n) {
    const r = rnd();
    let w: string;
    if (r < 0.02) {
      w = '';
      for (let i = 1 + Math.floor(rnd() * 3); i >= 0; i--) w += CJK[Math.floor(rnd() * CJK.length)];
    } else if (r < 0.04) {
      w = String(Math.floor(rnd() * 100_000)); // \p{N}: numbers are words too
    } else {
      w = '';
      for (let i = 1 + Math.floor(rnd() * 3); i >= 0; i--) w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
      if (r < 0.1) {
        const at = Math.floor(rnd() * w.length);
        w = w.slice(0, at) + ACCENTED[Math.floor(rnd() * ACCENTED.length)] + w.slice(at);
      }
    }
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** Writes the input file; returns how many vocabulary words it contains (= tokens). */
export function generateInput(path: string): number {
  const rnd = mulberry32(20240611);
  const vocab = vocabulary(VOCABULARY, rnd);
  // Zipf (s = 1): P(rank k) ∝ 1/k. Sample by binary search over the cumulative weights.
  const cdf = new Float64Array(vocab.length);
  let total = 0;
  for (let k = 0; k < vocab.length; k++) cdf[k] = total += 1 / (k + 1);
  const pick = (): string => {
    const u = rnd() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo];
  };
  const fd = openSync(path, 'w');
  let words = 0;
  let chunk = '';
  for (let line = 0; line < LINES; line++) {
    let text = rnd() < 0.05 ? '  ' : ''; // a leading separator gives an empty first token
    for (let i = 0; i < WORDS_PER_LINE; i++) {
      let w = pick();
      if (i === 0 || rnd() < 0.03) w = capitalize(w);
      else if (rnd() < 0.01) w = w.toUpperCase();
      text += (i === 0 ? '' : ' ') + w;
      if (rnd() < 0.08) text += PUNCT[Math.floor(rnd() * PUNCT.length)];
      words++;
    }
    chunk += text + (rnd() < 0.5 ? '.' : '') + (line % 97 === 0 ? '\r\n' : '\n');
    if (chunk.length > 1 << 20) {
      writeFileSync(fd, chunk);
      chunk = '';
    }
  }
  writeFileSync(fd, chunk);
  closeSync(fd);
  return words;
}

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

export function handWritten(input: string, output: string): { counts: Map<string, number>; tokens: number } {
  // Decode line by line from the bytes, as the file source does. (Slicing lines out of one decoded
  // string is ~2x slower to tokenize here: the non-Latin-1 text makes the whole string, and so
  // every slice of it, two-byte, which takes V8 off its one-byte toLowerCase/regexp fast paths.)
  const bytes = readFileSync(input);
  const counts = new Map<string, number>();
  let tokens = 0;
  let start = 0;
  while (start < bytes.length) {
    let nl = bytes.indexOf(0x0a, start);
    if (nl < 0) nl = bytes.length;
    const end = nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl; // drop a CR, as the file source does
    const line = bytes.toString('utf8', start, end);
    start = nl + 1;
    for (const word of line.toLowerCase().split(WORD_SPLIT)) {
      if (!word) continue;
      counts.set(word, (counts.get(word) ?? 0) + 1);
      tokens++;
    }
  }
  let out = '';
  for (const [word, count] of counts) out += JSON.stringify({ word, count }) + '\n';
  writeFileSync(output, out);
  return { counts, tokens };
}
