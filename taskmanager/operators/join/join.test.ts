import { parseJobSpec } from '../../../common/jobfile';
import { ManualTime } from '../../time/manual-time';
import { FunctionRegistry } from '../functions';
import { createChain } from '../operators';

type Row = Record<string, any>;

function joinChain(join: Row) {
  const spec = parseJobSpec({
    name: 't',
    nodes: [
      { id: 'a', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
      { id: 'b', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
      { id: 'j', inputs: ['a', 'b'], keyBy: { a: 'user', b: 'uid' }, ...join },
      { id: 'out', type: 'sink', inputs: ['j'], connector: { kind: 'stdout' } },
    ],
  });
  const out: Row[] = [];
  const output = { push: (r: unknown) => out.push(r as Row), watermark: () => undefined, status: () => undefined };
  const ctx = {
    fns: new FunctionRegistry(undefined),
    maxParallelism: 128,
    time: new ManualTime(),
    side: () => undefined,
  };
  return { chain: createChain([spec.nodes[2]], ctx, output), out };
}

/** Two interleaved streams with users u0..u3 and times that run up with some disorder. */
function streams(n: number): { a: Row[]; b: Row[] } {
  let x = 9;
  const rand = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % m;
  const a = Array.from({ length: n }, (_, i) => ({ user: `u${rand(4)}`, ts: i * 50 + rand(40), n: i }));
  const b = Array.from({ length: n }, (_, i) => ({ uid: `u${rand(4)}`, ts: i * 50 + rand(40), m: i }));
  return { a, b };
}

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

function feed(chain: ReturnType<typeof joinChain>['chain'], { a, b }: { a: Row[]; b: Row[] }): void {
  for (let i = 0; i < a.length; i++) {
    chain.push(a[i], a[i].ts, 'a');
    chain.push(b[i], b[i].ts, 'b');
    if (i % 20 === 19) chain.watermark(i * 50 - 100); // behind every time still to come
  }
  chain.watermark(Infinity);
}

describe('joins', () => {
  it('windowJoin emits every pair of the same key and window', () => {
    const s = streams(400);
    const { chain, out } = joinChain({ type: 'windowJoin', window: { kind: 'tumbling', size: 500 } });
    feed(chain, s);
    const expected = s.a.flatMap((x) =>
      s.b
        .filter((y) => y.uid === x.user && Math.floor(y.ts / 500) === Math.floor(x.ts / 500))
        .map((y) => ({
          windowStart: Math.floor(x.ts / 500) * 500,
          windowEnd: Math.floor(x.ts / 500) * 500 + 500,
          a: x,
          b: y,
        })),
    );
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it('intervalJoin emits the pairs with a.ts + lower <= b.ts <= a.ts + upper, and frees what can no longer join', () => {
    const s = streams(400);
    const { chain, out } = joinChain({ type: 'intervalJoin', between: ['-60ms', '+30ms'] });
    feed(chain, s);
    const expected = s.a.flatMap((x) =>
      s.b.filter((y) => y.uid === x.user && x.ts - 60 <= y.ts && y.ts <= x.ts + 30).map((y) => ({ a: x, b: y })),
    );
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(out)).toEqual(sorted(expected));
    expect(
      chain.states
        .get('j')!
        .snapshot()
        .flatMap(([, entries]) => entries),
    ).toEqual([]);
  });

  it('intervalJoin drops records behind the watermark', () => {
    const { chain, out } = joinChain({ type: 'intervalJoin', between: ['-1s', '1s'] });
    chain.push({ user: 'u', ts: 100 }, 100, 'a');
    chain.watermark(500);
    chain.push({ uid: 'u', ts: 400 }, 400, 'b');
    chain.push({ uid: 'u', ts: 600 }, 600, 'b');
    expect(out).toEqual([{ a: { user: 'u', ts: 100 }, b: { uid: 'u', ts: 600 } }]);
  });

  it('intervalJoin fails a record whose event time is not a finite number of ms, naming it, where it would buffer it under NaN', () => {
    const { chain, out } = joinChain({ type: 'intervalJoin', between: ['-1s', '1s'] });
    expect(() => chain.push({ user: 'u', ts: 1 }, NaN, 'a')).toThrow(
      'operator "j" threw: record {"user":"u","ts":1} has event time NaN, not a number of ms within ±Number.MAX_SAFE_INTEGER',
    );
    expect(() => chain.push({ uid: 'u' }, undefined, 'b')).toThrow(
      'operator "j" threw: record {"uid":"u"} has no event time (no "timestamps" before this join)',
    );
    chain.push({ uid: 'u', ts: 5 }, 5, 'b');
    chain.watermark(Infinity);
    expect(out).toEqual([]);
    expect(chain.states.get('j')!.snapshot()).toEqual([]);
  });

  it('a join emits each pair with records of its own: a map after it that changes them changes no other pair and no buffered record', () => {
    // As Flink's default (object reuse off) hands a chained operator a copy of each record.
    const bump = (p: Row) => ((p.a.n += 100), (p.b.m += 100), p);
    const run = (join: Row) => {
      const spec = parseJobSpec({
        name: 't',
        nodes: [
          { id: 'a', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
          { id: 'b', type: 'source', connector: { kind: 'generator' }, timestamps: { field: 'ts' } },
          { id: 'j', inputs: ['a', 'b'], keyBy: { a: 'user', b: 'uid' }, ...join },
          { id: 'bump', type: 'map', inputs: ['j'], fn: 'bump' },
          { id: 'out', type: 'sink', inputs: ['bump'], connector: { kind: 'stdout' } },
        ],
      });
      const out: Row[] = [];
      const output = {
        push: (r: unknown) => out.push(structuredClone(r) as Row),
        watermark: () => undefined,
        status: () => undefined,
      };
      const ctx = {
        fns: new FunctionRegistry({ bump }),
        maxParallelism: 128,
        time: new ManualTime(),
        side: () => undefined,
      };
      const chain = createChain(spec.nodes.slice(2, 4), ctx, output);
      chain.push({ user: 'u', ts: 1, n: 1 }, 1, 'a');
      chain.push({ uid: 'u', ts: 2, m: 1 }, 2, 'b');
      chain.push({ uid: 'u', ts: 3, m: 2 }, 3, 'b');
      chain.push({ user: 'u', ts: 4, n: 2 }, 4, 'a');
      chain.watermark(Infinity);
      return out.map((p) => `${p.a.n}/${p.b.m}`).sort();
    };
    // Every pair of a (n 1, 2) and b (m 1, 2), each record bumped once, in its own pair only.
    const pairs = ['101/101', '101/102', '102/101', '102/102'];
    expect(run({ type: 'intervalJoin', between: ['-10ms', '10ms'] })).toEqual(pairs);
    expect(run({ type: 'windowJoin', window: { kind: 'tumbling', size: 100 } })).toEqual(pairs);
  });
});
