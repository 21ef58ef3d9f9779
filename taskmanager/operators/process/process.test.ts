import { isNonRetriable, UserFunctionError } from '../../../common/errors';
import type { NodeSpec } from '../../../common/jobfile';
import { ManualTime } from '../../time/manual-time';
import { FunctionRegistry } from '../functions';
import { createChain } from '../operators';
import type { ProcessContext } from './process-operator';

type Row = Record<string, any>;

function processChain(module: Record<string, unknown>, time = new ManualTime(1000)) {
  const node = { id: 'p', type: 'process', inputs: [], keyBy: 'k', fn: 'f' } as unknown as NodeSpec;
  const out: { record: unknown; ts?: number }[] = [];
  const output = {
    push: (record: unknown, ts?: number) => out.push({ record, ts }),
    watermark: () => undefined,
    status: () => undefined,
  };
  const chain = createChain(
    [node],
    { fns: new FunctionRegistry(module), maxParallelism: 128, time, side: () => undefined },
    output,
  );
  return { chain, out, time };
}

/** Alert when a key has had no record for 10 s of event time. */
const quiet = {
  processElement(r: Row, ctx: ProcessContext) {
    const last = ctx.valueState<number>('last');
    const prev = last.value();
    if (prev !== undefined) ctx.deleteEventTimeTimer(prev + 10_000);
    const next = Math.max(prev ?? -Infinity, ctx.timestamp!);
    last.update(next);
    ctx.registerEventTimeTimer(next + 10_000);
  },
  onTimer(t: number, ctx: ProcessContext) {
    ctx.emit({ k: ctx.key, lastSeen: ctx.valueState<number>('last').value(), quietAt: t, domain: ctx.timeDomain });
  },
};

describe('process operator', () => {
  it('keeps value state per key and fires event-time timers as the watermark passes them', () => {
    const { chain, out } = processChain({ f: quiet });
    chain.push({ k: 'a' }, 0);
    chain.push({ k: 'b' }, 1000);
    chain.push({ k: 'a' }, 5000);
    chain.watermark(10_999);
    expect(out).toEqual([]); // a's first timer (at 10 000) was replaced by the one at 15 000
    chain.watermark(14_999);
    expect(out).toEqual([{ record: { k: 'b', lastSeen: 1000, quietAt: 11_000, domain: 'event' }, ts: 11_000 }]);
    chain.watermark(Infinity);
    expect(out[1]).toEqual({ record: { k: 'a', lastSeen: 5000, quietAt: 15_000, domain: 'event' }, ts: 15_000 });
    expect(out).toHaveLength(2);
  });

  it('list and map state, and processing-time timers by the clock', () => {
    const f = {
      processElement(r: Row, ctx: ProcessContext) {
        ctx.listState<number>('seen').add(r.v);
        const m = ctx.mapState<number>('byTag');
        m.put(r.tag, (m.get(r.tag) ?? 0) + 1);
        ctx.registerProcessingTimeTimer(ctx.currentProcessingTime() + 100);
      },
      onTimer(_t: number, ctx: ProcessContext) {
        ctx.emit({ k: ctx.key, seen: ctx.listState('seen').get(), tags: ctx.mapState('byTag').entries() });
      },
    };
    const { chain, out, time } = processChain({ f });
    chain.push({ k: 'a', v: 1, tag: 'x' });
    chain.push({ k: 'a', v: 2, tag: 'x' });
    chain.push({ k: 'a', v: 3, tag: 'y' });
    time.advance(99);
    expect(out).toEqual([]);
    time.advance(1);
    expect(out).toEqual([
      {
        record: {
          k: 'a',
          seen: [1, 2, 3],
          tags: [
            ['x', 2],
            ['y', 1],
          ],
        },
        ts: undefined,
      },
    ]);
  });

  it('state with a TTL is not returned after it, and is swept from the store', () => {
    const f = (r: Row, ctx: ProcessContext) => {
      const s = ctx.valueState<number>('count', { ttl: '1s' });
      ctx.emit({ k: r.k, count: (s.value() ?? 0) + 1 });
      s.update((s.value() ?? 0) + 1);
    };
    const { chain, out, time } = processChain({ f });
    chain.push({ k: 'a' });
    time.advance(500);
    chain.push({ k: 'a' }); // refreshed on write
    chain.push({ k: 'b' });
    time.advance(999);
    chain.push({ k: 'a' });
    time.advance(1000);
    chain.push({ k: 'a' });
    expect(out.map((o) => o.record)).toEqual([
      { k: 'a', count: 1 },
      { k: 'a', count: 2 },
      { k: 'b', count: 1 },
      { k: 'a', count: 3 },
      { k: 'a', count: 1 },
    ]);
    time.advance(3000);
    expect(
      chain.states
        .get('p')!
        .snapshot()
        .flatMap(([, entries]) => entries),
    ).toEqual([]);
  });

  it('restores state and timers from a snapshot', () => {
    const first = processChain({ f: quiet });
    first.chain.push({ k: 'a' }, 0);
    const keyed = structuredClone(first.chain.states.get('p')!.snapshot());
    const timers = structuredClone(first.chain.operatorStates.get('p')!.snapshot());
    const second = processChain({ f: quiet });
    second.chain.states.get('p')!.restore(keyed);
    second.chain.operatorStates.get('p')!.restore(timers);
    second.chain.push({ k: 'a' }, 3000);
    second.chain.watermark(Infinity);
    expect(second.out.map((o) => o.record)).toEqual([{ k: 'a', lastSeen: 3000, quietAt: 13_000, domain: 'event' }]);
  });

  it('names the node when fn is not a process function, or a timer has no onTimer', () => {
    expect(() => processChain({})).toThrow(
      /operator "p" threw: "f" must be a function or an object with processElement/,
    );
    const { chain } = processChain({ f: (_r: Row, ctx: ProcessContext) => ctx.registerEventTimeTimer(5) });
    chain.push({ k: 'a' }, 0);
    expect(() => chain.watermark(10)).toThrow(UserFunctionError);
  });
  it('a timer at ctx.timestamp + n for a record without event time fails, naming the node and where event time comes from', () => {
    const f = {
      processElement(_r: Row, ctx: ProcessContext) {
        ctx.registerEventTimeTimer((ctx.timestamp as number) + 60_000);
      },
      onTimer() {},
    };
    const { chain } = processChain({ f });
    let error: unknown;
    try {
      chain.push({ k: 'a' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserFunctionError);
    expect((error as Error).message).toMatch(
      /^operator "p" threw: event-time timer at NaN: .*assignTimestampsAndWatermarks/,
    );
    expect(isNonRetriable(error)).toBe(true);
    expect(chain.operatorStates.get('p')!.snapshot()).toMatchObject({ event: [], processing: [] });
  });

  it('a checkpoint holds the timers of every key, of both clocks, and they fire after a restore', () => {
    const f = {
      processElement(r: Row, ctx: ProcessContext) {
        ctx.registerEventTimeTimer(ctx.timestamp! + 10);
        ctx.registerProcessingTimeTimer(ctx.currentProcessingTime() + r.after);
      },
      onTimer(t: number, ctx: ProcessContext) {
        ctx.emit(`${ctx.key} ${ctx.timeDomain} ${t}`);
      },
    };
    const first = processChain({ f });
    first.chain.push({ k: 'a', after: 5 }, 1);
    first.chain.push({ k: 'b', after: 7 }, 2);
    first.chain.push({ k: 'c', after: 9 }, 3);
    const timers = structuredClone(first.chain.operatorStates.get('p')!.snapshot());
    const second = processChain({ f });
    second.chain.operatorStates.get('p')!.restore(timers);
    second.time.advance(8);
    second.chain.watermark(12);
    expect(second.out.map((o) => o.record)).toEqual([
      'a processing 1005',
      'b processing 1007',
      'a event 11',
      'b event 12',
    ]);
    second.time.advance(1);
    second.chain.watermark(Infinity);
    expect(second.out.slice(4).map((o) => o.record)).toEqual(['c processing 1009', 'c event 13']);
  });
});
