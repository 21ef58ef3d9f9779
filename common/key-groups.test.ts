import {
  DEFAULT_MAX_PARALLELISM,
  keyGroupFor,
  keyGroupRange,
  canonicalKey,
  keyHash,
  keyOf,
  murmurHash,
  operatorIndexForKeyGroup,
  subtaskForKey,
} from './key-groups';
import { errorInfo } from './errors';

/** What keyOf threw, as the JobManager sees a task's failure. */
function failure(f: () => unknown) {
  try {
    f();
  } catch (err) {
    return errorInfo(err);
  }
  throw new Error('it did not throw');
}

describe('keyOf', () => {
  it('takes the key field of a record, whatever its type (0, "", false and NaN are keys)', () => {
    for (const key of ['a', 0, '', false, NaN, [1, 'x'], { a: 1 }])
      expect(keyOf({ k: key, other: 1 }, 'k', 'op')).toBe(key);
  });

  it('fails for good, naming the operator, the field and the record, when the key is missing, undefined or null', () => {
    const missing = failure(() => keyOf({ accountId: 'a1', amount: 3 }, 'acountId', 'sums'));
    expect(missing).toMatchObject({ code: 'NULL_KEY', nonRetriable: true });
    expect(missing.message).toBe(
      'operator "sums": key field "acountId" is undefined for record {"accountId":"a1","amount":3}; a key must not be null or undefined',
    );
    expect(failure(() => keyOf({ k: null }, 'k', 'op')).message).toMatch(
      /^operator "op": key field "k" is null for record \{"k":null\}/,
    );
    expect(failure(() => keyOf({ k: undefined }, 'k', 'op')).code).toBe('NULL_KEY');
  });

  it('fails for a record that is not an object', () => {
    for (const record of ['word', 42, null, undefined])
      expect(failure(() => keyOf(record, 'k', 'op'))).toMatchObject({ code: 'NULL_KEY', nonRetriable: true });
    expect(failure(() => keyOf('hello', 'word', 'counts')).message).toMatch(
      /key field "word" is undefined for record "hello"/,
    );
  });

  it('shows at most a few hundred characters of a long record, and any record at all', () => {
    const { message } = failure(() => keyOf({ text: 'x'.repeat(10_000) }, 'k', 'op'));
    expect(message.length).toBeLessThan(400);
    expect(message).toContain('... (10011 characters)');
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(failure(() => keyOf(cyclic, 'k', 'op')).message).toContain('for record [object Object]');
  });
});

describe('keyHash', () => {
  it('matches Java String.hashCode', () => {
    expect(keyHash('')).toBe(0);
    expect(keyHash('a')).toBe(97);
    expect(keyHash('hello')).toBe(99162322);
    // overflows int32 in Java to exactly Integer.MIN_VALUE
    expect(keyHash('polygenelubricants')).toBe(-2147483648);
  });

  it('hashes UTF-16 code units, as Java does', () => {
    // U+1F600 is the surrogate pair D83D DE00
    expect(keyHash('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
  });

  it('uses the value for int32 integers and Java Boolean codes for booleans', () => {
    expect(keyHash(42)).toBe(42);
    expect(keyHash(-7)).toBe(-7);
    expect(keyHash(2147483647)).toBe(2147483647);
    expect(keyHash(true)).toBe(1231);
    expect(keyHash(false)).toBe(1237);
  });

  it('hashes anything else as its JSON form', () => {
    expect(keyHash(1.5)).toBe(keyHash('1.5'));
    expect(keyHash(2 ** 40)).toBe(keyHash(String(2 ** 40)));
    expect(keyHash(null)).toBe(keyHash('null'));
    expect(keyHash({ a: 1 })).toBe(keyHash('{"a":1}'));
    expect(keyHash([1, 'x'])).toBe(keyHash('[1,"x"]'));
  });

  it("hashes every NaN alike: NaN is one key, as Java's Double.NaN is", () => {
    expect(keyHash(NaN)).toBe(keyHash(0 / 0));
    expect(keyGroupFor(NaN, 128)).toBe(keyGroupFor(Number('x'), 128));
  });

  it('hashes equal objects alike whatever their field order, nested too', () => {
    expect(keyHash({ b: 2, a: [1, { d: 4, c: 3 }] })).toBe(keyHash({ a: [1, { c: 3, d: 4 }], b: 2 }));
    expect(keyHash({ b: 2, a: 1 })).toBe(keyHash('{"a":1,"b":2}'));
  });
});

describe('canonicalKey', () => {
  it('is the JSON of an object with sorted fields, as before for such keys (so snapshots still match)', () => {
    for (const key of [{ a: 1, b: 'x' }, [1, 'x', null, true], { a: { b: [1.5, -2] } }, [], {}])
      expect(canonicalKey(key)).toBe(JSON.stringify(key));
    expect(canonicalKey({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(canonicalKey([new Date(0)])).toBe('["1970-01-01T00:00:00.000Z"]');
  });

  it('tells apart what JSON merges: null, NaN and the infinities', () => {
    const forms = [[null], [NaN], [Infinity], [-Infinity]].map(canonicalKey);
    expect(new Set(forms).size).toBe(4);
  });
});

describe('keys that cannot be keys fail for good, naming the operator, the field, the key and the record', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: [string, unknown, RegExp][] = [
    [
      'undefined in an array (a misspelled field in a composite key)',
      ['de', undefined],
      /is \["de",null\] for record .*; it cannot be a key: it holds undefined \(a missing field\?\)$/,
    ],
    ['undefined in an object', { country: 'de', city: undefined }, /it holds undefined/],
    ['a bigint', 5n, /is 5 for record .*; a bigint cannot be a key$/],
    ['a function', () => 1, /a function cannot be a key$/],
    ['a symbol', Symbol('s'), /a symbol cannot be a key$/],
    ['a Map', { m: new Map([[1, 2]]) }, /it holds a Map, which has no JSON form$/],
    ['a Set', [new Set([1])], /it holds a Set, which has no JSON form$/],
    ['a cycle', cyclic, /it contains itself$/],
  ];
  it.each(cases)('%s', (_, key, message) => {
    const f = failure(() => keyOf({ k: key, n: 1 }, 'k', 'sums'));
    expect(f).toMatchObject({ code: 'INVALID_KEY', nonRetriable: true });
    expect(f.message).toMatch(/^operator "sums": key field "k" is /);
    expect(f.message).toMatch(message);
  });
});

describe('murmurHash', () => {
  it('is non-negative int32 for all inputs, including extremes', () => {
    for (const c of [0, 1, -1, 97, 2147483647, -2147483648, 99162322, 123456789]) {
      const h = murmurHash(c);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(2147483647);
    }
  });
});

describe('Flink vectors (maxParallelism 128, parallelism 4)', () => {
  it.each([
    ['hello', 35, 1],
    ['flink', 98, 3],
    ['a', 81, 2],
  ])('%s → key group %i → subtask %i', (key, group, subtask) => {
    expect(keyGroupFor(key, 128)).toBe(group);
    expect(operatorIndexForKeyGroup(128, 4, group)).toBe(subtask);
    expect(subtaskForKey(key, 128, 4)).toBe(subtask);
  });

  it('defaults maxParallelism to 128', () => {
    expect(DEFAULT_MAX_PARALLELISM).toBe(128);
  });
});

describe('key group ranges', () => {
  const cases: Array<[number, number]> = [
    [128, 1],
    [128, 3],
    [128, 4],
    [128, 7],
    [128, 128],
    [10, 3],
    [1, 1],
    [32768, 5],
    [100, 33],
  ];

  it.each(cases)('partition 0..maxP-1 exactly (maxP %i, p %i)', (maxP, p) => {
    let next = 0;
    for (let s = 0; s < p; s++) {
      const { start, end } = keyGroupRange(maxP, p, s);
      expect(start).toBe(next);
      expect(end).toBeGreaterThanOrEqual(start);
      next = end + 1;
    }
    expect(next).toBe(maxP);
  });

  it.each(cases)('every key group maps to the subtask whose range holds it (maxP %i, p %i)', (maxP, p) => {
    const misplaced: number[] = [];
    for (let g = 0; g < maxP; g++) {
      const { start, end } = keyGroupRange(maxP, p, operatorIndexForKeyGroup(maxP, p, g));
      if (g < start || g > end) misplaced.push(g);
    }
    expect(misplaced).toEqual([]);
  });
});

describe('distribution', () => {
  it('spreads 10,000 distinct words evenly over 4 subtasks (20%..30% each)', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[subtaskForKey(`word${i}`, 128, 4)]++;
    for (const c of counts) {
      expect(c).toBeGreaterThanOrEqual(2000);
      expect(c).toBeLessThanOrEqual(3000);
    }
  });

  it('is stable: the same key goes to the same subtask every time', () => {
    for (const key of ['hello', 'flink', 42, true, { user: 7 }, 3.25]) {
      const first = subtaskForKey(key, 128, 4);
      for (let i = 0; i < 5; i++) expect(subtaskForKey(key, 128, 4)).toBe(first);
      expect(keyGroupFor(key, 128)).toBe(keyGroupFor(key, 128));
    }
  });
});
