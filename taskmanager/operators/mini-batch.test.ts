import type { MiniBatchSpec, NodeSpec } from '../../common/jobfile';
import { ManualTime } from '../time/manual-time';
import { FunctionRegistry } from './functions';
import { createChain, type Chain } from './operators';

type Event = { record: unknown; ts?: number } | { watermark: number };

const node = (n: Partial<NodeSpec> & Pick<NodeSpec, 'id' | 'type'>): NodeSpec => ({ inputs: [], ...n }) as NodeSpec;
const sum = node({ id: 'counts', type: 'sum', keyBy: 'word', field: 'count' });

function chainOf(
  nodes: NodeSpec[],
  miniBatch?: MiniBatchSpec,
  time = new ManualTime(),
): { chain: Chain; events: Event[]; time: ManualTime } {
  const events: Event[] = [];
  const out = {
    push: (record: unknown, ts?: number) => void events.push({ record, ts }),
    watermark: (w: number) => void events.push({ watermark: w }),
    status: () => undefined,
  };
  const chain = createChain(
    nodes,
    {
      fns: new FunctionRegistry({ longest: (a: any, b: any) => (b.word.length > a.word.length ? b : a) }),
      maxParallelism: 128,
      miniBatch,
      time,
      side: () => undefined,
    },
    out,
  );
  return { chain, events, time };
}

const records = (events: Event[]) => events.flatMap((e) => ('record' in e ? [e.record] : []));
const w = (word: string, count = 1) => ({ word, count });

/** The last update per key, as a sink sees the final values. */
function finalValues(events: Event[], key = 'word'): Map<unknown, unknown> {
  return new Map(records(events).map((r) => [(r as Record<string, unknown>)[key], r]));
}

/** A seeded stream of words from a small vocabulary, with counts 1..3. */
function randomWords(n: number, seed: number): { word: string; count: number }[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => w(`w${Math.floor(next() * 17)}`, 1 + Math.floor(next() * 3)));
}

/** The same input through `agg` with one update per record and with a mini-batch of `size` (flushed at the end). */
function withAndWithout(agg: NodeSpec, size: number, input: unknown[]) {
  const plain = chainOf([agg]);
  const batched = chainOf([agg], { latency: 60_000, size });
  for (const r of input) {
    plain.chain.push(r);
    batched.chain.push(r);
  }
  batched.chain.flush();
  return { plain, batched };
}

describe('mini-batch keyed aggregation', () => {
  it('emits one update per key per bundle of `size` records, in the order keys came', () => {
    const { chain, events } = chainOf([sum], { latency: 60_000, size: 4 });
    for (const r of [w('a'), w('b'), w('a'), w('a'), w('b'), w('c')]) chain.push(r);
    expect(records(events)).toEqual([w('a', 3), w('b', 1)]);
    chain.flush();
    expect(records(events)).toEqual([w('a', 3), w('b', 1), w('b', 2), w('c', 1)]);
  });

  it('flushes when the latency has passed since the bundle began, not before', () => {
    const { chain, events, time } = chainOf([sum], { latency: 1000, size: 1000 });
    chain.push(w('a'));
    time.advance(600);
    chain.push(w('a'));
    expect(events).toEqual([]);
    time.advance(400);
    expect(records(events)).toEqual([w('a', 2)]);
    // The first timer belonged to a flushed bundle; the next bundle gets its own.
    chain.push(w('a'));
    time.advance(999);
    expect(records(events)).toHaveLength(1);
    time.advance(1);
    expect(records(events)).toEqual([w('a', 2), w('a', 3)]);
  });

  it('a timer of a bundle flushed by size does not cut the next bundle short', () => {
    const { chain, events, time } = chainOf([sum], { latency: 1000, size: 2 });
    chain.push(w('a'));
    chain.push(w('a'));
    time.advance(500);
    chain.push(w('a'));
    time.advance(500);
    expect(records(events)).toEqual([w('a', 2)]);
    time.advance(500);
    expect(records(events)).toEqual([w('a', 2), w('a', 3)]);
  });

  it('a watermark passes on only after the updates of the records before it, with their event time', () => {
    const { chain, events } = chainOf([sum], { latency: 60_000, size: 100 });
    chain.push(w('a'), 10);
    chain.push(w('a'), 30);
    chain.push(w('b'), 20);
    chain.watermark(25);
    expect(events).toEqual([{ record: w('a', 2), ts: 30 }, { record: w('b', 1), ts: 20 }, { watermark: 25 }]);
  });

  it('keeps the state a snapshot takes after flush equal to one update per record', () => {
    const { plain, batched } = withAndWithout(sum, 37, randomWords(500, 7));
    expect(batched.chain.states.get('counts')!.snapshot()).toEqual(plain.chain.states.get('counts')!.snapshot());
    expect(finalValues(batched.events)).toEqual(finalValues(plain.events));
    expect(records(batched.events).length).toBeLessThan(records(plain.events).length);
  });

  it('gives every built-in aggregation the final values of one update per record', () => {
    const input = randomWords(300, 3);
    const cases: NodeSpec[] = [
      sum,
      node({ id: 'm', type: 'min', keyBy: 'word', field: 'count' }),
      node({ id: 'x', type: 'max', keyBy: 'word', field: 'count' }),
      node({ id: 'n', type: 'count', keyBy: 'word' }),
      node({ id: 'r', type: 'reduce', keyBy: 'word', fn: 'longest' }),
    ];
    for (const agg of cases) {
      const { plain, batched } = withAndWithout(agg, 23, input);
      expect([agg.type, finalValues(batched.events)]).toEqual([agg.type, finalValues(plain.events)]);
    }
  });

  it('restored state goes on counting from where it was', () => {
    const first = chainOf([sum], { latency: 60_000, size: 10 });
    for (const r of [w('a'), w('a'), w('b')]) first.chain.push(r);
    first.chain.flush();
    const second = chainOf([sum], { latency: 60_000, size: 10 });
    second.chain.states.get('counts')!.restore(first.chain.states.get('counts')!.snapshot());
    second.chain.push(w('a'));
    second.chain.flush();
    expect(records(second.events)).toEqual([w('a', 3)]);
  });

  it("flushes chained bundles head first, so a second aggregation sees the first one's updates", () => {
    const total = node({ id: 'total', type: 'sum', keyBy: 'all', field: 'count' });
    const tag = node({ id: 'tag', type: 'map', fn: 'all' });
    const fns = new FunctionRegistry({ all: (r: any) => ({ ...r, all: 'x' }) });
    const events: unknown[] = [];
    const out = { push: (r: unknown) => void events.push(r), watermark: () => undefined, status: () => undefined };
    const chain = createChain(
      [sum, tag, total],
      {
        fns,
        maxParallelism: 128,
        miniBatch: { latency: 60_000, size: 100 },
        time: new ManualTime(),
        side: () => undefined,
      },
      out,
    );
    for (const r of [w('a'), w('b'), w('a')]) chain.push(r);
    chain.flush();
    // total sums the per-word updates it saw: a=2 and b=1 once each.
    expect(events).toEqual([{ word: 'a', count: 3, all: 'x' }]);
  });
});
