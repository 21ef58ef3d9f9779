/** The word count's user function, in a module of its own so that jest can test it (functions.test.ts). */

export interface WordCount {
  word: string;
  count: number;
}

/** Lowercase, split on runs of anything but letters and digits: the built-in `tokenize` of job files. */
export function tokenize(line: string): WordCount[] {
  return line
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .map((word) => ({ word, count: 1 }));
}
