/**
 * The exactly-once check of the chaos run: every word's committed changelog must be exactly
 * 1, 2, …, N, where N is the word's count in the input topic; and an online version of it for the
 * output as it is committed, so that a loss or duplicate is seen when it happens, not only at the end.
 */

export type Problem = 'missing word' | 'duplicate' | 'gap' | 'short' | 'beyond input' | 'unexpected word' | 'mis-keyed';

export interface CheckResult {
  ok: boolean;
  words: number;
  expectedRecords: number;
  records: number;
  /** Words (or messages, for mis-keyed) per kind of problem. */
  counts: Partial<Record<Problem, number>>;
  /** The first examples, one line each. */
  examples: string[];
}

const EXAMPLES = 15;

/** `byKey`: each word's counts in offset order, as test/kafka-io.ts readCommitted returns them. */
export function checkChangelogs(
  expected: Map<string, number>,
  byKey: Map<string, number[]>,
  misKeyed: string[],
): CheckResult {
  const counts: Partial<Record<Problem, number>> = {};
  const examples: string[] = [];
  const note = (p: Problem, example: string) => {
    counts[p] = (counts[p] ?? 0) + 1;
    if (examples.length < EXAMPLES) examples.push(`${p}: ${example}`);
  };
  let expectedRecords = 0;
  let records = 0;
  for (const [word, n] of expected) {
    expectedRecords += n;
    const list = byKey.get(word) ?? [];
    records += list.length;
    if (list.length === 0) {
      note('missing word', `${word} (${n} in the input, no output)`);
      continue;
    }
    let prev = 0;
    let dup = false;
    let gap = false;
    let beyond = false;
    for (const c of list) {
      if (c <= prev && !dup) {
        dup = true;
        note('duplicate', `${word}: ${prev} then ${c}`);
      } else if (c > prev + 1 && !gap) {
        gap = true;
        note('gap', `${word}: ${prev} then ${c}`);
      }
      if (c > n && !beyond) {
        beyond = true;
        note('beyond input', `${word}: ${c} > ${n} in the input`);
      }
      prev = Math.max(prev, c);
    }
    if (prev < n) note('short', `${word}: last ${prev} of ${n}`);
  }
  for (const [word, list] of byKey) {
    if (expected.has(word)) continue;
    records += list.length;
    note('unexpected word', `${word} (${list.length} records, not in the input)`);
  }
  if (misKeyed.length > 0) {
    counts['mis-keyed'] = misKeyed.length;
    examples.push(...misKeyed.slice(0, 3).map((m) => `mis-keyed: ${m}`));
  }
  return { ok: Object.keys(counts).length === 0, words: expected.size, expectedRecords, records, counts, examples };
}

/** Online: each committed update of a word must be the one after the last seen. */
export class ChangelogWatch {
  private readonly last = new Map<string, number>();
  records = 0;

  /** Undefined when `count` follows on; otherwise what is wrong. */
  add(word: string, count: number): string | undefined {
    this.records++;
    const prev = this.last.get(word) ?? 0;
    this.last.set(word, Math.max(prev, count));
    if (count === prev + 1) return undefined;
    return count <= prev ? `duplicate: ${word} ${prev} then ${count}` : `gap: ${word} ${prev} then ${count}`;
  }

  /** Words whose latest count is below the expected one (all input not yet committed). */
  behind(expected: Map<string, number>): number {
    let n = 0;
    for (const [word, count] of expected) if ((this.last.get(word) ?? 0) < count) n++;
    return n;
  }
}
