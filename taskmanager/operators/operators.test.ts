import { FlinkxError, isNonRetriable, UserFunctionError } from '../../common/errors';
import { parseJobSpec, type NodeSpec } from '../../common/jobfile';
import { ManualTime } from '../time/manual-time';
import { FunctionRegistry, UnknownFunctionError } from './functions';
import { createChain, type Collector } from './operators';

/** The chain's entry point for records, ending in `collect`. */
function chainOf(nodes: NodeSpec[], fns: FunctionRegistry, maxParallelism: number, collect: Collector): Collector {
  const time = { now: () => 0, schedule: () => undefined };
  const out = { push: collect, watermark: () => undefined, status: () => undefined };
  return createChain(nodes, { fns, maxParallelism, time, side: () => undefined }, out).push;
}

const node = (n: Partial<NodeSpec> & Pick<NodeSpec, 'id' | 'type'>): NodeSpec => ({ inputs: [], ...n }) as NodeSpec;

/** Run `records` through a chain of `nodes`, collecting what comes out of its end. */
function run(nodes: NodeSpec[], records: unknown[], module?: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  const chain = chainOf(nodes, new FunctionRegistry(module), 128, (r) => out.push(r));
  for (const r of records) chain(r);
  return out;
}

const words = (line: unknown) =>
  run([node({ id: 'words', type: 'flatMap', fn: 'tokenize' })], [line]).map((r) => (r as { word: string }).word);

describe('tokenize (flatMap)', () => {
  it('emits {word, count: 1} per word, lowercased', () => {
    expect(run([node({ id: 'w', type: 'flatMap', fn: 'tokenize' })], ['To be OR not'])).toEqual([
      { word: 'to', count: 1 },
      { word: 'be', count: 1 },
      { word: 'or', count: 1 },
      { word: 'not', count: 1 },
    ]);
  });

  it('keeps Unicode letters together: "Straße", "東京", accented Latin, Cyrillic, Greek', () => {
    expect(words('Straße in 東京')).toEqual(['straße', 'in', '東京']);
    expect(words('Ärger über Æsir, Ωmega; МОСКВА')).toEqual(['ärger', 'über', 'æsir', 'ωmega', 'москва']);
    expect(words('naïve café')).toEqual(['naïve', 'café']);
  });

  it('splits exactly on /[^\\p{L}\\p{N}]+/u, as specified: combining marks separate', () => {
    // The contract names this split rule so that independent counts agree with ours; combining
    // marks (\p{M}) are not letters, so decomposed accents and Devanagari signs split words.
    expect(words('cafe\u0301 noir')).toEqual(['cafe', 'noir']);
    expect(words('हिन्दी')).toEqual('हिन्दी'.split(/[^\p{L}\p{N}]+/u).filter(Boolean));
  });

  it('keeps digits as word characters', () => {
    expect(words('abc123 42 x2y 3.14')).toEqual(['abc123', '42', 'x2y', '3', '14']);
  });

  it('splits on runs of punctuation and whitespace, with none at either end', () => {
    expect(words('  ...hello,,, --- world!!!\t\n(again)  ')).toEqual(['hello', 'world', 'again']);
    expect(words("don't")).toEqual(['don', 't']);
  });

  it('emits nothing for an empty line or a line of only punctuation/space', () => {
    expect(words('')).toEqual([]);
    expect(words('   ')).toEqual([]);
    expect(words('!?.,;: -- ')).toEqual([]);
  });

  it('reads the text of {line} and {text} records', () => {
    expect(words({ line: 'a b' })).toEqual(['a', 'b']);
    expect(words({ text: 'C' })).toEqual(['c']);
  });
});

describe('map / filter / flatMap chains', () => {
  it('composes operators head first', () => {
    const module = {
      double: (r: unknown) => (r as number) * 2,
      big: (r: unknown) => (r as number) > 4,
      twice: (r: unknown) => [r, r],
    };
    const nodes = [
      node({ id: 'm', type: 'map', fn: 'double' }),
      node({ id: 'f', type: 'filter', fn: 'big' }),
      node({ id: 't', type: 'flatMap', fn: 'twice' }),
    ];
    expect(run(nodes, [1, 2, 3, 4], module)).toEqual([6, 6, 8, 8]);
  });

  it('a chain of no operators passes records straight through', () => {
    expect(run([], [1, 'a'])).toEqual([1, 'a']);
  });

  it('a functions-module export takes precedence over a built-in of the same name', () => {
    expect(run([node({ id: 'm', type: 'map', fn: 'identity' })], [1], { identity: () => 'mine' })).toEqual(['mine']);
  });
});

describe('keyed aggregations emit a changelog record per input', () => {
  const input = [
    { word: 'a', n: 3 },
    { word: 'b', n: 10 },
    { word: 'a', n: 1 },
    { word: 'a', n: 5 },
    { word: 'b', n: -2 },
  ];

  it('sum: running sum per key, keeping the other fields', () => {
    const out = run([node({ id: 's', type: 'sum', keyBy: 'word', field: 'n' })], input);
    expect(out).toEqual([
      { word: 'a', n: 3 },
      { word: 'b', n: 10 },
      { word: 'a', n: 4 },
      { word: 'a', n: 9 },
      { word: 'b', n: 8 },
    ]);
  });

  it('sum does not mutate the input records', () => {
    const recs = [
      { k: 1, v: 1 },
      { k: 1, v: 2 },
    ];
    run([node({ id: 's', type: 'sum', keyBy: 'k', field: 'v' })], recs);
    expect(recs).toEqual([
      { k: 1, v: 1 },
      { k: 1, v: 2 },
    ]);
  });

  it('min: running minimum per key', () => {
    const out = run([node({ id: 'm', type: 'min', keyBy: 'word', field: 'n' })], input);
    expect(out.map((r) => (r as { n: number }).n)).toEqual([3, 10, 1, 1, -2]);
    expect(out.map((r) => (r as { word: string }).word)).toEqual(['a', 'b', 'a', 'a', 'b']);
  });

  it('max: running maximum per key', () => {
    const out = run([node({ id: 'm', type: 'max', keyBy: 'word', field: 'n' })], input);
    expect(out.map((r) => (r as { n: number }).n)).toEqual([3, 10, 3, 5, 10]);
  });

  it('count: running count per key, in field "count" by default', () => {
    const out = run([node({ id: 'c', type: 'count', keyBy: 'word' })], input);
    expect(out).toEqual([
      { word: 'a', count: 1 },
      { word: 'b', count: 1 },
      { word: 'a', count: 2 },
      { word: 'a', count: 3 },
      { word: 'b', count: 2 },
    ]);
  });

  it('count writes to `field` when given', () => {
    const out = run([node({ id: 'c', type: 'count', keyBy: 'word', field: 'seen' })], input.slice(0, 3));
    expect(out).toEqual([
      { word: 'a', seen: 1 },
      { word: 'b', seen: 1 },
      { word: 'a', seen: 2 },
    ]);
  });

  it('keeps number and string keys apart (1 vs "1")', () => {
    const out = run([node({ id: 'c', type: 'count', keyBy: 'k' })], [{ k: 1 }, { k: '1' }, { k: 1 }]);
    expect(out).toEqual([
      { k: 1, count: 1 },
      { k: '1', count: 1 },
      { k: 1, count: 2 },
    ]);
  });

  it('state is per operator instance: two chains do not share counts', () => {
    const n = node({ id: 'c', type: 'count', keyBy: 'k' });
    expect(run([n], [{ k: 'x' }])).toEqual([{ k: 'x', count: 1 }]);
    expect(run([n], [{ k: 'x' }])).toEqual([{ k: 'x', count: 1 }]);
  });

  it('word count: tokenize -> sum over count', () => {
    const out = run(
      [
        node({ id: 'words', type: 'flatMap', fn: 'tokenize' }),
        node({ id: 'counts', type: 'sum', keyBy: 'word', field: 'count' }),
      ],
      ['the cat', 'The dog, the end'],
    );
    expect(out).toEqual([
      { word: 'the', count: 1 },
      { word: 'cat', count: 1 },
      { word: 'the', count: 2 },
      { word: 'dog', count: 1 },
      { word: 'the', count: 3 },
      { word: 'end', count: 1 },
    ]);
  });

  it('reduce: first record per key as is, then fn(previous, record)', () => {
    const concat = jest.fn((a: unknown, b: unknown) => ({
      k: (a as { k: string }).k,
      s: (a as { s: string }).s + (b as { s: string }).s,
    }));
    const out = run(
      [node({ id: 'r', type: 'reduce', keyBy: 'k', fn: 'concat' })],
      [
        { k: 'x', s: 'a' },
        { k: 'y', s: 'b' },
        { k: 'x', s: 'c' },
        { k: 'x', s: 'd' },
      ],
      { concat },
    );
    expect(out).toEqual([
      { k: 'x', s: 'a' },
      { k: 'y', s: 'b' },
      { k: 'x', s: 'ac' },
      { k: 'x', s: 'acd' },
    ]);
    expect(concat).toHaveBeenCalledTimes(2);
    expect(concat).toHaveBeenNthCalledWith(1, { k: 'x', s: 'a' }, { k: 'x', s: 'c' });
  });

  it('reduce: a function that changes its first argument and returns it (Flink allows it) changes no record already emitted, nor an input', () => {
    const add = (a: { n: number }, b: { n: number }) => ((a.n += b.n), a);
    const input = [
      { k: 'x', n: 1, tags: ['t'] },
      { k: 'x', n: 2, tags: ['t'] },
      { k: 'x', n: 3, tags: ['t'] },
    ];
    const out = run([node({ id: 'r', type: 'reduce', keyBy: 'k', fn: 'add' })], input, { add });
    expect(out.map((r) => (r as { n: number }).n)).toEqual([1, 3, 6]);
    expect(input.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(out[0]).not.toBe(input[0]);
    expect((out[0] as { tags: unknown }).tags).not.toBe(input[0].tags);
  });
});

describe('errors', () => {
  it('a throwing user function surfaces as UserFunctionError naming the node', () => {
    const boom = new Error('bad record');
    const module = {
      explode: () => {
        throw boom;
      },
    };
    for (const type of ['map', 'flatMap', 'filter'] as const) {
      const chain = chainOf(
        [node({ id: `my-${type}`, type, fn: 'explode' })],
        new FunctionRegistry(module),
        128,
        () => {},
      );
      let caught: unknown;
      try {
        chain('x');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UserFunctionError);
      const e = caught as UserFunctionError;
      expect(e.code).toBe('USER_FUNCTION_FAILED');
      expect(e.message).toContain(`"my-${type}"`);
      expect(e.message).toContain('bad record');
      expect(e.cause).toBe(boom);
    }
  });

  it('a throwing reduce function names the reduce node, not an upstream one', () => {
    const module = {
      id: (r: unknown) => r,
      fail: () => {
        throw new Error('nope');
      },
    };
    const chain = chainOf(
      [node({ id: 'pre', type: 'map', fn: 'id' }), node({ id: 'agg', type: 'reduce', keyBy: 'k', fn: 'fail' })],
      new FunctionRegistry(module),
      128,
      () => {},
    );
    chain({ k: 1 }); // first record per key does not call fn
    expect(() => chain({ k: 1 })).toThrow(UserFunctionError);
    expect(() => chain({ k: 1 })).toThrow(/"agg"/);
  });

  it('a map or reduce function that returns nothing (a missing return) fails naming its node, instead of passing undefined on', () => {
    const module = {
      forgot: (r: { v: number }) => {
        r.v += 1;
      },
    };
    const mapped = chainOf(
      [node({ id: 'bump', type: 'map', fn: 'forgot' })],
      new FunctionRegistry(module),
      128,
      () => {},
    );
    expect(() => mapped({ v: 1 })).toThrow(/"bump".*returned undefined for \{"v":2\}/);
    const out: unknown[] = [];
    const reduced = chainOf(
      [node({ id: 'acc', type: 'reduce', keyBy: 'k', fn: 'forgot' })],
      new FunctionRegistry(module),
      128,
      (r) => out.push(r),
    );
    reduced({ k: 'a', v: 1 });
    expect(() => reduced({ k: 'a', v: 2 })).toThrow(/"acc".*reduce function returned undefined/);
  });

  it('a non-Error throw is still wrapped', () => {
    const chain = chainOf(
      [node({ id: 'thrower', type: 'map', fn: 'f' })],
      new FunctionRegistry({
        f: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test
          throw 'a string';
        },
      }),
      128,
      () => {},
    );
    expect(() => chain(1)).toThrow(UserFunctionError);
    expect(() => chain(1)).toThrow(/"thrower".*a string/);
  });

  it('sum over a non-numeric field fails with UserFunctionError naming the node', () => {
    const chain = chainOf(
      [node({ id: 'total', type: 'sum', keyBy: 'k', field: 'v' })],
      new FunctionRegistry(undefined),
      128,
      () => {},
    );
    expect(() => chain({ k: 'a', v: '3' })).toThrow(UserFunctionError);
    expect(() => chain({ k: 'a' })).toThrow(/"total"/);
  });

  it('an unknown function name gives UnknownFunctionError when the chain is built', () => {
    const build = (module?: Record<string, unknown>) => () =>
      chainOf([node({ id: 'm', type: 'map', fn: 'noSuchFn' })], new FunctionRegistry(module), 128, () => {});
    expect(build()).toThrow(UnknownFunctionError);
    expect(build()).toThrow(/noSuchFn/);
    expect(build({ other: () => 1 })).toThrow(UnknownFunctionError);
    // a non-function export of that name is not a function either
    expect(build({ noSuchFn: 42 })).toThrow(UnknownFunctionError);
    try {
      build()();
    } catch (err) {
      expect(err).toBeInstanceOf(FlinkxError);
      expect((err as FlinkxError).code).toBe('UNKNOWN_FUNCTION');
      expect(isNonRetriable(err)).toBe(true); // no restart makes it appear
    }
  });
});

describe('every keyed node takes its key one way: a record without it fails for good, naming the node', () => {
  /** The keyed node `keyed` of a parsed job (so it has its defaults), fed from sources `a` and `b`. */
  const keyedChain = (keyed: Record<string, unknown>) => {
    const spec = parseJobSpec({
      name: 't',
      nodes: [
        { id: 'a', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
        { id: 'b', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
        { id: 'k', inputs: ['a'], keyBy: 'user', ...keyed },
        { id: 'out', type: 'sink', inputs: ['k'], connector: { kind: 'stdout' } },
      ],
    });
    const fns = new FunctionRegistry({ keep: (a: unknown) => a, each: () => undefined });
    const out = { push: () => undefined, watermark: () => undefined, status: () => undefined };
    return createChain(
      [spec.nodes[2]],
      { fns, maxParallelism: 128, time: new ManualTime(), side: () => undefined },
      out,
    );
  };
  const cases: [string, Record<string, unknown>, string][] = [
    ['sum', { type: 'sum', field: 'n' }, 'a'],
    ['count', { type: 'count' }, 'a'],
    ['reduce', { type: 'reduce', fn: 'keep' }, 'a'],
    ['window', { type: 'window', window: { kind: 'tumbling', size: 1000 }, aggregate: 'count' }, 'a'],
    ['process', { type: 'process', fn: 'each' }, 'a'],
    [
      'windowJoin',
      {
        type: 'windowJoin',
        inputs: ['a', 'b'],
        keyBy: { a: 'user', b: 'uid' },
        window: { kind: 'tumbling', size: 1000 },
      },
      'b',
    ],
    [
      'intervalJoin',
      { type: 'intervalJoin', inputs: ['a', 'b'], keyBy: { a: 'user', b: 'uid' }, between: ['-1s', '+1s'] },
      'b',
    ],
  ];
  it.each(cases)('%s', (_, keyed, input) => {
    const chain = keyedChain(keyed);
    const field = input === 'b' ? 'uid' : 'user';
    chain.push({ [field]: 'u1', n: 1, ts: 5 }, 5, input);
    let failure: unknown;
    try {
      chain.push({ usr: 'u1', n: 1, ts: 6 }, 6, input);
    } catch (err) {
      failure = err;
    }
    expect(isNonRetriable(failure)).toBe(true);
    expect(failure).toMatchObject({
      code: 'NULL_KEY',
      message: `operator "k": key field "${field}" is undefined for record {"usr":"u1","n":1,"ts":6}; a key must not be null or undefined`,
    });
  });
});
