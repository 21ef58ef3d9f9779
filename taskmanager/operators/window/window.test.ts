import type { NodeSpec } from '../../../common/jobfile';
import { parseJobSpec } from '../../../common/jobfile';
import { ManualTime } from '../../time/manual-time';
import { FunctionRegistry } from '../functions';
import { createChain } from '../operators';
import { createAssigner, windowStart } from './assigners';

type Row = Record<string, unknown>;

describe('window assigners', () => {
  it('tumbling: aligned to the epoch plus offset, negative timestamps included', () => {
    const a = createAssigner({ kind: 'tumbling', size: 10, offset: 0 });
    expect(a.assign(0)).toEqual([{ start: 0, end: 10 }]);
    expect(a.assign(19)).toEqual([{ start: 10, end: 20 }]);
    expect(a.assign(-1)).toEqual([{ start: -10, end: 0 }]);
    expect(createAssigner({ kind: 'tumbling', size: 10, offset: 3 }).assign(12)).toEqual([{ start: 3, end: 13 }]);
    expect(windowStart(-15, 0, 10)).toBe(-20);
  });

  it('sliding: every window of `size` stepping by `slide` that holds the timestamp', () => {
    const a = createAssigner({ kind: 'sliding', size: 30, slide: 10, offset: 0 });
    expect(a.assign(25)).toEqual([
      { start: 20, end: 50 },
      { start: 10, end: 40 },
      { start: 0, end: 30 },
    ]);
    expect(createAssigner({ kind: 'sliding', size: 10, slide: 20, offset: 0 }).assign(15)).toEqual([]);
  });

  const byStart = (ws: { start: number; end: number }[]) => [...ws].sort((a, b) => a.start - b.start);
  const w = (start: number, end: number) => ({ start, end });

  it("tumbling with offsets: Flink's TumblingEventTimeWindowsTest (global offset, negative offset, time units)", () => {
    const at = (size: number, offset: number, t: number) =>
      createAssigner({ kind: 'tumbling', size, offset }).assign(t);
    expect([at(5000, 0, 0), at(5000, 0, 4999), at(5000, 0, 5000)]).toEqual([
      [w(0, 5000)],
      [w(0, 5000)],
      [w(5000, 10_000)],
    ]);
    expect([at(5000, 100, 100), at(5000, 100, 5099), at(5000, 100, 5100)]).toEqual([
      [w(100, 5100)],
      [w(100, 5100)],
      [w(5100, 10_100)],
    ]);
    expect([at(5000, -100, 0), at(5000, -100, 4899), at(5000, -100, 4900)]).toEqual([
      [w(-100, 4900)],
      [w(-100, 4900)],
      [w(4900, 9900)],
    ]);
    expect([at(5000, 1000, 1000), at(5000, 1000, 5999), at(5000, 1000, 6000)]).toEqual([
      [w(1000, 6000)],
      [w(1000, 6000)],
      [w(6000, 11_000)],
    ]);
    // Negative timestamps with either sign of offset: the window still holds the timestamp.
    expect([at(5000, -100, -1), at(5000, -100, -100), at(5000, -100, -101), at(5000, -100, -5101)]).toEqual([
      [w(-100, 4900)],
      [w(-100, 4900)],
      [w(-5100, -100)],
      [w(-10_100, -5100)],
    ]);
    expect([at(5000, 100, -1), at(5000, 100, -4900), at(5000, 100, -4901)]).toEqual([
      [w(-4900, 100)],
      [w(-4900, 100)],
      [w(-9900, -4900)],
    ]);
    // A day in UTC+8, Flink's documented use of a negative offset: midnight local time is 16:00 UTC.
    expect(at(86_400_000, -28_800_000, Date.UTC(2024, 0, 2, 3))).toEqual([
      w(Date.UTC(2024, 0, 1, 16), Date.UTC(2024, 0, 2, 16)),
    ]);
  });

  it("sliding with offsets: Flink's SlidingEventTimeWindowsTest (assignment, offset, negative offset, time units)", () => {
    const at = (size: number, slide: number, offset: number, t: number) =>
      byStart(createAssigner({ kind: 'sliding', size, slide, offset }).assign(t));
    const starts = (size: number, ...s: number[]) => s.map((x) => w(x, x + size));
    expect(at(5000, 1000, 0, 0)).toEqual(starts(5000, -4000, -3000, -2000, -1000, 0));
    expect(at(5000, 1000, 0, 4999)).toEqual(starts(5000, 0, 1000, 2000, 3000, 4000));
    expect(at(5000, 1000, 0, 5000)).toEqual(starts(5000, 1000, 2000, 3000, 4000, 5000));
    expect(at(5000, 1000, 100, 100)).toEqual(starts(5000, -3900, -2900, -1900, -900, 100));
    expect(at(5000, 1000, 100, 5099)).toEqual(starts(5000, 100, 1100, 2100, 3100, 4100));
    expect(at(5000, 1000, 100, 5100)).toEqual(starts(5000, 1100, 2100, 3100, 4100, 5100));
    expect(at(5000, 1000, -100, 0)).toEqual(starts(5000, -4100, -3100, -2100, -1100, -100));
    expect(at(5000, 1000, -100, 4899)).toEqual(starts(5000, -100, 900, 1900, 2900, 3900));
    expect(at(5000, 1000, -100, 4900)).toEqual(starts(5000, 900, 1900, 2900, 3900, 4900));
    expect(at(5000, 1000, 500, 100)).toEqual(starts(5000, -4500, -3500, -2500, -1500, -500));
    expect(at(5000, 1000, 500, 5499)).toEqual(starts(5000, 500, 1500, 2500, 3500, 4500));
    expect(at(5000, 1000, -100, -1101)).toEqual(starts(5000, -6100, -5100, -4100, -3100, -2100));
  });

  it('session: one window [t, t + gap) per element, to be merged', () => {
    const a = createAssigner({ kind: 'session', gap: 5 });
    expect(a.merging).toBe(true);
    expect(a.assign(7)).toEqual([{ start: 7, end: 12 }]);
  });
});

/** A chain `events (timestamps) -> w (window)` as a one-vertex job, with a manual clock. */
function windowChain(window: Row, module?: Record<string, unknown>) {
  const spec = parseJobSpec({
    name: 't',
    nodes: [
      { id: 'src', type: 'source', connector: { kind: 'generator' } },
      {
        id: 'events',
        type: 'map',
        inputs: ['src'],
        fn: 'identity',
        timestamps: { field: 'ts', maxOutOfOrderness: 100 },
      },
      { id: 'w', type: 'window', inputs: ['events'], keyBy: 'k', aggregate: 'count', ...window },
      { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'stdout' } },
      { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'stdout' } },
    ],
  });
  const time = new ManualTime(1_000_000);
  const results: Row[] = [];
  const late: Row[] = [];
  const watermarks: number[] = [];
  const out = {
    push: (r: unknown) => results.push(r as Row),
    watermark: (w: number) => watermarks.push(w),
    status: () => undefined,
  };
  const nodes = spec.nodes.slice(1, 3) as NodeSpec[];
  const ctx = {
    fns: new FunctionRegistry(module),
    maxParallelism: 128,
    time,
    side: (_: string, r: unknown) => late.push(r as Row),
  };
  const chain = createChain(nodes, ctx, out);
  return { chain, time, results, late, watermarks, ctx, nodes, out };
}

/** Events with keys a..e and timestamps that run up with disorder of at most 100 ms. */
function disorderedEvents(n: number, seed = 7): Row[] {
  let x = seed;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => ({
    k: 'abcde'[Math.floor(rand() * 5)],
    ts: i * 7 + Math.floor(rand() * 100),
    v: Math.floor(rand() * 10),
  }));
}

const sortRows = (rows: Row[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('window operator', () => {
  it('tumbling count over disordered events equals counting per key and window here', () => {
    const { chain, time, results, late } = windowChain({ window: { kind: 'tumbling', size: 250 } });
    const events = disorderedEvents(2000);
    events.forEach((e, i) => {
      chain.push(e);
      if (i % 10 === 0) time.advance(200); // periodic watermarks interleave with the records
    });
    chain.watermark(Infinity);
    const expected = new Map<string, Row>();
    for (const e of events) {
      const start = Math.floor((e.ts as number) / 250) * 250;
      const id = `${e.k}/${start}`;
      const row = expected.get(id) ?? { k: e.k, windowStart: start, windowEnd: start + 250, count: 0 };
      (row.count as number)++;
      expected.set(id, row);
    }
    expect(late).toEqual([]);
    expect(sortRows(results)).toEqual(sortRows([...expected.values()]));
  });

  it('sliding avg and session sum equal an independent computation', () => {
    const events = disorderedEvents(1500, 3);
    const sliding = windowChain({ window: { kind: 'sliding', size: 300, slide: 100 }, aggregate: 'avg', field: 'v' });
    const session = windowChain({ window: { kind: 'session', gap: 40 }, aggregate: 'sum', field: 'v' });
    for (const c of [sliding, session]) {
      events.forEach((e, i) => {
        c.chain.push(e);
        if (i % 10 === 0) c.time.advance(200);
      });
      c.chain.watermark(Infinity);
    }
    const slidingExpected = new Map<string, { k: unknown; start: number; sum: number; n: number }>();
    for (const e of events) {
      const ts = e.ts as number;
      for (let start = Math.floor(ts / 100) * 100; start > ts - 300; start -= 100) {
        const id = `${e.k}/${start}`;
        const acc = slidingExpected.get(id) ?? { k: e.k, start, sum: 0, n: 0 };
        acc.sum += e.v as number;
        acc.n++;
        slidingExpected.set(id, acc);
      }
    }
    expect(sortRows(sliding.results)).toEqual(
      sortRows(
        [...slidingExpected.values()].map((a) => ({
          k: a.k,
          windowStart: a.start,
          windowEnd: a.start + 300,
          avg: a.sum / a.n,
        })),
      ),
    );
    // Sessions: per key, sort by time and cut where the next event is more than `gap` after the last.
    const sessions: Row[] = [];
    for (const k of 'abcde') {
      const ts = events.filter((e) => e.k === k).sort((a, b) => (a.ts as number) - (b.ts as number));
      let cur: { start: number; last: number; sum: number } | undefined;
      for (const e of ts) {
        const t = e.ts as number;
        if (cur && t <= cur.last + 40) {
          cur.last = Math.max(cur.last, t);
          cur.sum += e.v as number;
          continue;
        }
        if (cur) sessions.push({ k, windowStart: cur.start, windowEnd: cur.last + 40, sum: cur.sum });
        cur = { start: t, last: t, sum: e.v as number };
      }
      if (cur) sessions.push({ k, windowStart: cur.start, windowEnd: cur.last + 40, sum: cur.sum });
    }
    expect(sortRows(session.results)).toEqual(sortRows(sessions));
  });

  it('the timestamps stage replaces upstream watermarks by its own periodic ones, but passes the end of input', () => {
    const { chain, results, time, watermarks } = windowChain({ window: { kind: 'tumbling', size: 100 } });
    chain.push({ k: 'a', ts: 10 });
    chain.push({ k: 'a', ts: 250 });
    chain.watermark(1000);
    expect(results).toEqual([]);
    time.advance(200);
    expect(watermarks).toEqual([149]); // 250 - maxOutOfOrderness 100 - 1
    expect(results).toEqual([{ k: 'a', windowStart: 0, windowEnd: 100, count: 1 }]);
    chain.watermark(Infinity);
    expect(watermarks).toEqual([149, Infinity]);
    expect(results[1]).toEqual({ k: 'a', windowStart: 200, windowEnd: 300, count: 1 });
  });

  it('allowed lateness emits updated results; later records go to the side output only', () => {
    const { ctx, nodes, out, results, late } = windowChain({
      window: { kind: 'tumbling', size: 100 },
      allowedLateness: 50,
    });
    // The window alone, without the timestamps stage, so the test sets its watermark.
    const chain = createChain([nodes[1]], ctx, out);
    chain.push({ k: 'a', ts: 10 }, 10);
    chain.push({ k: 'a', ts: 20 }, 20);
    chain.push({ k: 'b', ts: 150 }, 150);
    expect(chain.openWindows()).toBe(2);
    chain.watermark(99);
    expect(results).toEqual([{ k: 'a', windowStart: 0, windowEnd: 100, count: 2 }]);
    chain.push({ k: 'a', ts: 30 }, 30); // late but within 50 ms: an updated result
    expect(results[1]).toEqual({ k: 'a', windowStart: 0, windowEnd: 100, count: 3 });
    chain.watermark(149); // the window is dropped now
    expect(chain.openWindows()).toBe(1);
    chain.push({ k: 'a', ts: 40 }, 40);
    chain.push({ k: 'b', ts: 120 }, 120);
    expect(late).toEqual([{ k: 'a', ts: 40 }]);
    chain.watermark(Infinity);
    expect(results.slice(2)).toEqual([{ k: 'b', windowStart: 100, windowEnd: 200, count: 2 }]);
    expect(chain.openWindows()).toBe(0);
  });

  it('reduce and a user aggregate from the functions module', () => {
    const module = {
      maxV: (a: Row, b: Row) => ((a.v as number) >= (b.v as number) ? a : b),
      distinctV: {
        create: () => [],
        add: (acc: number[], r: Row) => (acc.includes(r.v as number) ? acc : [...acc, r.v as number]),
        merge: (a: number[], b: number[]) => [...new Set([...a, ...b])],
        result: (acc: number[]) => acc.length,
      },
    };
    const red = windowChain({ window: { kind: 'tumbling', size: 1000 }, aggregate: 'reduce', fn: 'maxV' }, module);
    const cus = windowChain({ window: { kind: 'session', gap: 1000 }, aggregate: 'custom', fn: 'distinctV' }, module);
    for (const c of [red, cus]) {
      for (const e of [
        { k: 'a', ts: 1, v: 3 },
        { k: 'a', ts: 5, v: 9 },
        { k: 'a', ts: 9, v: 3 },
      ])
        c.chain.push(e);
      c.chain.watermark(Infinity);
    }
    expect(red.results).toEqual([{ k: 'a', windowStart: 0, windowEnd: 1000, reduce: { k: 'a', ts: 5, v: 9 } }]);
    expect(cus.results).toEqual([{ k: 'a', windowStart: 1, windowEnd: 1009, distinctV: 2 }]);
  });

  it('a reduce function that changes its first argument: each sliding window keeps its own sum, results and inputs stay as they were', () => {
    const module = { addV: (a: Row, b: Row) => ((a.v = (a.v as number) + (b.v as number)), a) };
    const { chain, results } = windowChain(
      { window: { kind: 'sliding', size: 30, slide: 10 }, aggregate: 'reduce', fn: 'addV' },
      module,
    );
    const events = [
      { k: 'a', ts: 5, v: 1 },
      { k: 'a', ts: 15, v: 10 },
      { k: 'a', ts: 25, v: 100 },
    ];
    for (const e of events) chain.push(e);
    chain.watermark(Infinity);
    // Each window's sum of v, computed from the events it holds.
    const sums = results.map((r) =>
      events
        .filter((e) => e.ts >= (r.windowStart as number) && e.ts < (r.windowEnd as number))
        .reduce((n, e) => n + e.v, 0),
    );
    expect(results.map((r) => (r.reduce as Row).v)).toEqual(sums);
    expect(sums).toEqual([1, 11, 111, 110, 100]);
    expect(events.map((e) => e.v)).toEqual([1, 10, 100]);
  });

  it('processing time: windows by the clock, emitted when the clock passes their end', () => {
    const { ctx, nodes, out, results, time } = windowChain({
      window: { kind: 'tumbling', size: 1000 },
      time: 'processing',
    });
    const chain = createChain([nodes[1]], ctx, out);
    chain.push({ k: 'a' });
    chain.push({ k: 'a' });
    time.advance(999);
    expect(results).toEqual([{ k: 'a', windowStart: 1_000_000, windowEnd: 1_001_000, count: 2 }]);
  });

  it('restores open windows and timers from a snapshot', () => {
    const first = windowChain({ window: { kind: 'tumbling', size: 100 } });
    const c1 = createChain([first.nodes[1]], first.ctx, first.out);
    c1.push({ k: 'a' }, 10);
    c1.watermark(50);
    const keyed = structuredClone(c1.states.get('w')!.snapshot());
    const timers = structuredClone(c1.operatorStates.get('w')!.snapshot());
    const second = windowChain({ window: { kind: 'tumbling', size: 100 } });
    const c2 = createChain([second.nodes[1]], second.ctx, second.out);
    c2.states.get('w')!.restore(keyed);
    c2.operatorStates.get('w')!.restore(timers);
    c2.push({ k: 'a' }, 20);
    c2.push({ k: 'a' }, 30);
    c2.watermark(99);
    expect(second.results).toEqual([{ k: 'a', windowStart: 0, windowEnd: 100, count: 3 }]);
  });
});

/** The window node alone (no timestamps stage): the test gives each record its time and sets the watermark. */
function bareWindow(window: Row) {
  const { ctx, nodes, out, results, late } = windowChain(window);
  return { chain: createChain([nodes[1]], ctx, out), results, late };
}

describe('late records within the allowed lateness fire a window once (Flink EventTimeTrigger)', () => {
  it("Flink's SideOutputITCase#testKeyedWindowLateArrivingEvents: 1 ms windows, lateness 2 ms, watermark = each record's time", () => {
    for (const window of [
      { kind: 'tumbling', size: 1 },
      { kind: 'sliding', size: 1, slide: 1 },
    ]) {
      const { chain, results, late } = bareWindow({ window, allowedLateness: 2 });
      for (const v of [1, 2, 5, 3, 4]) {
        chain.push({ k: v, ts: v }, v);
        chain.watermark(v);
      }
      expect(results.map((r) => r.k)).toEqual([1, 2, 5, 4]);
      expect(late).toEqual([{ k: 3, ts: 3 }]);
      // Window [4, 5) fired on its record, past its end: no timer may fire it again.
      chain.watermark(Infinity);
      expect(results.map((r) => r.k)).toEqual([1, 2, 5, 4]);
      expect(chain.openWindows()).toBe(0);
    }
  });

  it('a record for a window already fired re-fires it once with the record, and the cleanup timer drops it at end + lateness', () => {
    const { chain, results, late } = bareWindow({ window: { kind: 'tumbling', size: 10 }, allowedLateness: 5 });
    chain.push({ k: 'a' }, 1);
    chain.watermark(9);
    chain.push({ k: 'a' }, 2);
    chain.push({ k: 'a' }, 3);
    chain.watermark(13);
    expect(results.map((r) => r.count)).toEqual([1, 2, 3]);
    chain.watermark(14); // cleanup time 9 + 5: the window is gone
    expect(chain.openWindows()).toBe(0);
    chain.push({ k: 'a' }, 4);
    expect(late).toEqual([{ k: 'a' }]);
    chain.watermark(Infinity);
    expect(results.map((r) => r.count)).toEqual([1, 2, 3]);
  });

  it("Flink's WindowOperatorTest#testDropDueToLatenessSliding: lateness 0, a record's windows already past are skipped, the others kept", () => {
    const { chain, results, late } = bareWindow({
      window: { kind: 'sliding', size: 3000, slide: 1000 },
      aggregate: 'sum',
      field: 'v',
    });
    const row = (k: string, v: number, windowEnd: number) => ({ k, windowStart: windowEnd - 3000, windowEnd, sum: v });
    chain.push({ k: 'key2', v: 1 }, 1000);
    chain.watermark(1999);
    expect(results).toEqual([row('key2', 1, 2000)]);
    chain.push({ k: 'key2', v: 1 }, 2000);
    chain.watermark(3000);
    expect(results.slice(1)).toEqual([row('key2', 2, 3000)]);
    chain.push({ k: 'key1', v: 1 }, 3001);
    chain.push({ k: 'key2', v: 1 }, 2400); // windows ending at 2999 (skipped), 3999 and 4999
    chain.push({ k: 'key2', v: 1 }, 2400);
    chain.push({ k: 'key1', v: 1 }, 3001);
    chain.push({ k: 'key2', v: 1 }, 3900);
    chain.watermark(6000);
    expect(sortRows(results.slice(2))).toEqual(
      sortRows([
        row('key2', 5, 4000),
        row('key1', 2, 4000),
        row('key2', 4, 5000),
        row('key1', 2, 5000),
        row('key2', 1, 6000),
        row('key1', 2, 6000),
      ]),
    );
    chain.push({ k: 'key1', v: 1 }, 3001); // every window of it is past: late
    chain.watermark(25_000);
    expect(results).toHaveLength(8);
    expect(late).toEqual([{ k: 'key1', v: 1 }]);
  });

  it('sliding windows with gaps (size < slide): a record in a gap is in no window and dropped, late only when its own time is late (Flink)', () => {
    const { chain, results, late } = bareWindow({
      window: { kind: 'sliding', size: 10, slide: 20 },
      aggregate: 'sum',
      field: 'v',
    });
    chain.push({ k: 'a', v: 1 }, 5);
    chain.push({ k: 'a', v: 2 }, 15); // in the gap [10, 20): no window, not late
    chain.watermark(30);
    chain.push({ k: 'a', v: 4 }, 25); // in a gap and behind the watermark: late
    chain.watermark(Infinity);
    expect(results).toEqual([{ k: 'a', windowStart: 0, windowEnd: 10, sum: 1 }]);
    expect(late).toEqual([{ k: 'a', v: 4 }]);
  });

  /** Flink's WindowOperatorTest session-with-lateness cases: gap 3 s, an accumulating EventTimeTrigger. */
  function sessionsUpTo14600(lateness: number) {
    const s = bareWindow({ window: { kind: 'session', gap: 3000 }, allowedLateness: lateness });
    const row = (count: number, windowStart: number, windowEnd: number) => ({
      k: 'key2',
      windowStart,
      windowEnd,
      count,
    });
    s.chain.push({ k: 'key2' }, 1000);
    s.chain.watermark(1999);
    s.chain.push({ k: 'key2' }, 2000);
    s.chain.watermark(4998);
    s.chain.push({ k: 'key2' }, 4500); // its session's end is after the watermark: not late
    s.chain.push({ k: 'key2' }, 8500); // a new session
    s.chain.watermark(7400);
    s.chain.push({ k: 'key2' }, 7000); // merges the two sessions into one
    s.chain.watermark(11_501);
    expect(s.results).toEqual([row(5, 1000, 11_500)]);
    s.chain.push({ k: 'key2' }, 11_600); // a new session
    s.chain.watermark(14_600);
    expect(s.results.slice(1)).toEqual([row(1, 11_600, 14_600)]);
    return { ...s, row };
  }

  it('a record within a fired session (no merge that extends it) re-fires the session once, and no timer fires it again', () => {
    const { chain, results } = bareWindow({ window: { kind: 'session', gap: 10 }, allowedLateness: 100 });
    chain.push({ k: 'a' }, 1);
    chain.push({ k: 'a' }, 5);
    chain.watermark(20);
    chain.push({ k: 'a' }, 3); // window [3, 13) lies within the fired session [1, 15)
    chain.watermark(30);
    chain.push({ k: 'a' }, 4); // and again, now with the watermark past that window's end too
    chain.watermark(113);
    expect(results).toEqual([2, 3, 4].map((count) => ({ k: 'a', windowStart: 1, windowEnd: 15, count })));
    expect(chain.openWindows()).toBe(1);
    chain.watermark(114); // cleanup time: 14 + 100
    expect(chain.openWindows()).toBe(0);
    expect(results).toHaveLength(3);
  });

  it("Flink's testDropDueToLatenessSessionWithLateness: a late record merged into a fired session fires the merged session at once", () => {
    const { chain, results, late, row } = sessionsUpTo14600(10);
    chain.push({ k: 'key2' }, 10_000); // merges into (11600-14600), whose cleanup (14609) is still ahead
    chain.push({ k: 'key2' }, 14_500);
    expect(results.slice(2)).toEqual([row(2, 10_000, 14_600)]);
    chain.watermark(20_000);
    expect(results.slice(3)).toEqual([row(3, 10_000, 17_500)]);
    chain.watermark(100_000);
    expect(results).toHaveLength(4);
    expect(late).toEqual([]);
  });

  it("Flink's testDropDueToLatenessSessionWithHugeLateness, and a merged session already past its end fires once, not again at the next watermark", () => {
    const { chain, results, row } = sessionsUpTo14600(10_000);
    chain.push({ k: 'key2' }, 10_000); // merges all three sessions: (1000-14600), already past its end
    expect(results.slice(2)).toEqual([row(7, 1000, 14_600)]);
    chain.watermark(14_700);
    expect(results).toHaveLength(3);
    chain.push({ k: 'key2' }, 14_500);
    chain.watermark(20_000);
    expect(results.slice(3)).toEqual([row(8, 1000, 17_500)]);
    chain.watermark(100_000);
    expect(results).toHaveLength(4);
  });
});

describe('values that would silently become NaN or undefined, or change after they were emitted', () => {
  it('an event time that is not a finite number fails the window, naming it (as Flink fails a record without a timestamp)', () => {
    for (const t of [NaN, Infinity, -Infinity, 2 ** 60]) {
      const { chain, results } = bareWindow({ window: { kind: 'tumbling', size: 10 } });
      expect(() => chain.push({ k: 'a' }, t)).toThrow(
        `operator "w" threw: record {"k":"a"} has event time ${t}, not a number of ms within ±Number.MAX_SAFE_INTEGER`,
      );
      chain.watermark(Infinity);
      expect(results).toEqual([]);
    }
  });

  it('a custom aggregate whose create, add or merge returns undefined, or a reduce that returns nothing, fails naming the function', () => {
    const module = {
      noReturn: {
        create: () => ({ n: 0 }),
        add: (acc: { n: number }) => void acc.n++,
        merge: (a: unknown) => a,
        result: (acc: { n: number }) => acc?.n,
      },
      noCreate: {
        create: () => undefined,
        add: (acc: unknown) => acc,
        merge: (a: unknown) => a,
        result: (acc: unknown) => acc,
      },
      noMerge: { create: () => 0, add: (n: number) => n + 1, merge: () => undefined, result: (n: number) => n },
      noResult: {
        create: () => 0,
        add: (n: number) => n + 1,
        merge: (a: number, b: number) => a + b,
        result: () => undefined,
      },
      forgetful: (a: Row, b: Row) => void (a.v = (a.v as number) + (b.v as number)),
    };
    const run = (window: Row, aggregate: string, fn: string, times: number[]) => () => {
      const { ctx, nodes, out } = windowChain({ window, aggregate, fn }, module);
      const chain = createChain([nodes[1]], ctx, out);
      for (const t of times) chain.push({ k: 'a', v: 1 }, t);
      chain.watermark(Infinity);
    };
    const tumbling = { kind: 'tumbling', size: 100 };
    expect(run(tumbling, 'custom', 'noReturn', [1])).toThrow(
      'operator "w" threw: "noReturn".add returned undefined; an accumulator must be returned',
    );
    expect(run(tumbling, 'custom', 'noCreate', [1])).toThrow(
      'operator "w" threw: "noCreate".create returned undefined; an accumulator must be returned',
    );
    expect(run({ kind: 'session', gap: 10 }, 'custom', 'noMerge', [1, 20, 10])).toThrow(
      'operator "w" threw: "noMerge".merge returned undefined',
    );
    expect(run(tumbling, 'custom', 'noResult', [1])).toThrow(
      'operator "w" threw: "noResult".result returned undefined',
    );
    expect(run(tumbling, 'reduce', 'forgetful', [1, 2])).toThrow(
      'operator "w" threw: reduce function "forgetful" returned undefined; it must return the combined record',
    );
  });

  it('a custom aggregate whose result is its accumulator: a result once emitted does not change when a late record updates the window', () => {
    const module = {
      tally: {
        create: () => ({ n: 0 }),
        add: (acc: { n: number }) => (acc.n++, acc),
        merge: (a: unknown) => a,
        result: (acc: unknown) => acc,
      },
    };
    const { ctx, nodes, out, results } = windowChain(
      { window: { kind: 'tumbling', size: 10 }, aggregate: 'custom', fn: 'tally', allowedLateness: 100 },
      module,
    );
    const chain = createChain([nodes[1]], ctx, out);
    chain.push({ k: 'a' }, 1);
    chain.watermark(9);
    chain.push({ k: 'a' }, 2);
    expect(results.map((r) => r.tally)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
