import { parseJobSpec, type AsyncSpec, type NodeSpec } from '../../common/jobfile';
import { type DataStream, TumblingEventTimeWindows } from '../../common/datastream';
import { OperatorTestHarness } from '../testing/operator-test-harness';
import { AsyncOperators, AsyncWaitOperator } from './async-wait';

/** Calls whose results the test hands out, in any order. */
class Calls {
  readonly started: { input: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  readonly fn = (input: unknown) => new Promise((resolve, reject) => this.started.push({ input, resolve, reject }));
  resolve(input: unknown, value: unknown = `r(${String(input)})`): void {
    this.started.find((c) => c.input === input)!.resolve(value);
  }
}

const created: AsyncWaitOperator[] = [];
afterEach(() => created.splice(0).forEach((op) => op.close()));

function operator(async: Partial<AsyncSpec> & { timeout?: number }, fn: (x: unknown) => unknown) {
  const node: NodeSpec = parseJobSpec({
    name: 't',
    nodes: [
      { id: 'in', type: 'source', connector: { kind: 'generator' } },
      { id: 'enrich', type: 'asyncMap', inputs: ['in'], fn: 'f', async: { timeout: 60_000, ...async } },
      { id: 'out', type: 'sink', inputs: ['enrich'], connector: { kind: 'stdout' } },
    ],
  }).nodes[1];
  const out: unknown[] = [];
  /** Results with their event time, and watermarks, in the order they left. */
  const events: ({ r: unknown; ts?: number } | { w: number })[] = [];
  let settled = 0;
  let wake: (() => void) | undefined;
  const op = new AsyncWaitOperator(
    node,
    fn,
    node.async!,
    (r, ts) => {
      out.push(r);
      events.push(ts === undefined ? { r } : { r, ts });
    },
    () => {
      settled++;
      wake?.();
    },
    (w) => events.push({ w }),
  );
  created.push(op);
  /** Resolves once `n` calls in all have settled. */
  const settledCount = async (n: number) => {
    while (settled < n) await new Promise<void>((r) => (wake = r));
  };
  return { op, out, events, settledCount };
}

test('ordered: results leave in input order whatever order the calls finish in', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({}, calls.fn);
  [1, 2, 3].forEach((x) => op.push(x));
  calls.resolve(3);
  calls.resolve(2);
  await settledCount(2);
  op.drain();
  expect(out).toEqual([]);
  calls.resolve(1);
  await settledCount(3);
  op.drain();
  expect(out).toEqual(['r(1)', 'r(2)', 'r(3)']);
  expect(op.idle).toBe(true);
});

test('unordered: results leave as the calls finish', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({ ordered: false }, calls.fn);
  [1, 2, 3].forEach((x) => op.push(x));
  calls.resolve(3);
  await settledCount(1);
  op.drain();
  calls.resolve(1);
  await settledCount(2);
  op.drain();
  expect(out).toEqual(['r(3)', 'r(1)']);
  expect(op.snapshot()).toEqual([{ kind: 'record', value: 2 }]);
});

test('at most `capacity` calls run; the queue is full at `capacity` records', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({ capacity: 2 }, calls.fn);
  op.push('a');
  expect(op.full).toBe(false);
  op.push('b');
  op.push('c');
  expect(calls.started.map((c) => c.input)).toEqual(['a', 'b']);
  expect(op.full).toBe(true);
  calls.resolve('a');
  await settledCount(1);
  expect(calls.started.map((c) => c.input)).toEqual(['a', 'b', 'c']);
  op.drain();
  expect(out).toEqual(['r(a)']);
  expect(op.full).toBe(true);
  calls.resolve('b');
  await settledCount(2);
  op.drain();
  expect(op.full).toBe(false);
});

test('a snapshot holds every input not emitted yet; a restore calls them again', async () => {
  const calls = new Calls();
  const { op, settledCount } = operator({ capacity: 2 }, calls.fn);
  ['done', 'running', 'waiting'].forEach((x) => op.push(x));
  calls.resolve('running');
  await settledCount(1);
  op.drain();
  expect(op.snapshot()).toEqual(['done', 'running', 'waiting'].map((value) => ({ kind: 'record', value })));

  const again = new Calls();
  const restored = operator({ capacity: 2 }, again.fn);
  restored.op.restore(op.snapshot());
  op.close();
  expect(again.started.map((c) => c.input)).toEqual(['done', 'running']);
  for (const x of ['done', 'running']) again.resolve(x);
  await restored.settledCount(2);
  restored.op.drain();
  again.resolve('waiting');
  await restored.settledCount(3);
  restored.op.drain();
  expect(restored.out).toEqual(['r(done)', 'r(running)', 'r(waiting)']);
});

test('ordered: a watermark leaves once the records before it have, not when the whole queue is empty', async () => {
  const calls = new Calls();
  const { op, events, settledCount } = operator({}, calls.fn);
  op.push(1, 10);
  op.watermark(15);
  op.push(2, 20);
  op.watermark(25);
  op.push(3, 30);
  calls.resolve(1);
  calls.resolve(3);
  await settledCount(2);
  op.drain();
  // A queue that never empties under steady input must not hold watermarks back for good.
  expect(events).toEqual([{ r: 'r(1)', ts: 10 }, { w: 15 }]);
  calls.resolve(2);
  await settledCount(3);
  op.drain();
  expect(events.slice(2)).toEqual([{ r: 'r(2)', ts: 20 }, { w: 25 }, { r: 'r(3)', ts: 30 }]);
  expect(op.idle).toBe(true);
});

test("unordered: records complete in any order between watermarks, but never cross one (Flink's segments)", async () => {
  const calls = new Calls();
  const { op, events, settledCount } = operator({ ordered: false }, calls.fn);
  op.push(1, 10);
  op.push(2, 12);
  op.watermark(15);
  op.push(3, 14); // late at 15: it must stay behind the watermark, as it came
  op.push(4, 20);
  calls.resolve(4);
  await settledCount(1);
  calls.resolve(3);
  await settledCount(2);
  calls.resolve(2);
  await settledCount(3);
  op.drain();
  expect(events).toEqual([{ r: 'r(2)', ts: 12 }]);
  calls.resolve(1);
  await settledCount(4);
  op.drain();
  expect(events.slice(1)).toEqual([{ r: 'r(1)', ts: 10 }, { w: 15 }, { r: 'r(4)', ts: 20 }, { r: 'r(3)', ts: 14 }]);
  expect(op.idle).toBe(true);
});

test('a watermark with nothing before it leaves at once; queued ones each keep their place and count in the capacity', async () => {
  const calls = new Calls();
  const { op, events, settledCount } = operator({ capacity: 4 }, calls.fn);
  op.watermark(5);
  expect(events).toEqual([{ w: 5 }]);
  op.push(1, 6);
  op.watermark(7);
  op.watermark(8);
  expect(op.full).toBe(false);
  // As Flink counts them: two records and two watermarks fill a queue of 4.
  op.push(2, 10);
  expect(op.full).toBe(true);
  [1, 2].forEach((x) => calls.resolve(x));
  await settledCount(2);
  op.drain();
  // Each watermark as it came: a process function's timer at 7 sees watermark 7, as in Flink.
  expect(events.slice(1)).toEqual([{ r: 'r(1)', ts: 6 }, { w: 7 }, { w: 8 }, { r: 'r(2)', ts: 10 }]);
  expect(op.idle).toBe(true);
});

test('a timeout fails the task by default, or drops the record with onTimeout "drop"', async () => {
  const never = () => new Promise(() => undefined);
  const failing = operator({ timeout: 20 }, never);
  failing.op.push({ id: 7 });
  await failing.settledCount(1);
  expect(() => failing.op.drain()).toThrow(/operator "enrich": no result within 20 ms for \{"id":7\}/);

  const dropping = operator({ timeout: 20, onTimeout: 'drop' }, (x) => (x === 'slow' ? never() : Promise.resolve(x)));
  ['slow', 'fast'].forEach((x) => dropping.op.push(x));
  await dropping.settledCount(2);
  dropping.op.drain();
  expect(dropping.out).toEqual(['fast']);
  expect(dropping.op.idle).toBe(true);
});

test('a rejected or throwing call fails the task with the user error, naming the operator', async () => {
  const { op, settledCount } = operator({}, () => {
    throw new Error('lookup failed');
  });
  op.push(1);
  await settledCount(1);
  expect(() => op.drain()).toThrow(/operator "enrich" threw: lookup failed/);
});

test('the job file requires `async` for asyncMap and refuses it elsewhere', () => {
  expect(() =>
    parseJobSpec({
      name: 't',
      nodes: [
        { id: 'in', type: 'source', connector: { kind: 'generator' }, async: { timeout: 1 } },
        { id: 'a', type: 'asyncMap', inputs: ['in'], fn: 'f' },
        { id: 'out', type: 'sink', inputs: ['a'], connector: { kind: 'stdout' } },
      ],
    }),
  ).toThrow(/nodes\[0\]\.async: not allowed for type "source"[\s\S]*nodes\[1\]\.async: required for type "asyncMap"/);
});

describe('AsyncOperators (a chain of two asyncMaps as the task drives them)', () => {
  const chainOfTwo = () => {
    const spec = parseJobSpec({
      name: 't',
      nodes: [
        { id: 'in', type: 'source', connector: { kind: 'generator' } },
        { id: 'a', type: 'asyncMap', inputs: ['in'], fn: 'f', async: { timeout: 60_000 } },
        { id: 'b', type: 'asyncMap', inputs: ['a'], fn: 'f', async: { timeout: 60_000 } },
        { id: 'out', type: 'sink', inputs: ['b'], connector: { kind: 'stdout' } },
      ],
    });
    const out: unknown[] = [];
    let wakes = 0;
    const ops = new AsyncOperators(() => wakes++);
    const b = new AsyncWaitOperator(
      spec.nodes[2],
      (x) => Promise.resolve(`b(${String(x)})`),
      spec.nodes[2].async!,
      (r) => out.push(r),
      ops.onSettled,
    );
    const a = new AsyncWaitOperator(
      spec.nodes[1],
      (x) => Promise.resolve(`a(${String(x)})`),
      spec.nodes[1].async!,
      b.push,
      ops.onSettled,
    );
    ops.list.push(a, b);
    created.push(a, b);
    return { ops, a, out, wakes: () => wakes };
  };

  it('a settle before the wait is not lost, and draining head first feeds the next operator', async () => {
    const { ops, a, out, wakes } = chainOfTwo();
    a.push(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // `a` settled while nobody waited: the wait returns at once instead of hanging
    await ops.nextSettle();
    expect(wakes()).toBe(1);
    ops.drain();
    while (!ops.idle) {
      await ops.nextSettle();
      ops.drain();
    }
    expect(out).toEqual(['b(a(1))']);
    expect(ops.snapshot()).toEqual({ a: [], b: [] });
  });
});

describe("event time through a snapshot (Flink's AsyncWaitOperatorTest#testStateSnapshotAndRestore)", () => {
  interface Reading {
    sensor: string;
    value: number;
  }
  /** The calls of every harness below, resolved by the test in the order it picks. */
  let pending: { r: Reading; resolve: (r: Reading) => void }[] = [];
  const call = (r: Reading) => new Promise<Reading>((resolve) => pending.push({ r, resolve }));
  /** Resolves the calls made so far in this order, each call settled before the next is resolved. */
  const resolveAll = async (order: number[]) => {
    const now = pending;
    pending = [];
    for (const i of order) {
      now[i].resolve(now[i].r);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const a = (value: number): Reading => ({ sensor: 'a', value });
  const lookup = (ordered: boolean) => (s: DataStream<Reading>) =>
    s.asyncMap(call, { timeout: 60_000, ordered }).uid('lookup');
  const sums = (ordered: boolean) => (s: DataStream<Reading>) =>
    lookup(ordered)(s).keyBy('sensor').window(TumblingEventTimeWindows.of(10)).sum('value').uid('sums');

  it.each([true, false])(
    'ordered %s: records keep their event time and the watermark comes after the records before it',
    async (ordered) => {
      const first = OperatorTestHarness.of(lookup(ordered));
      first.processElement(a(1), 1).processElement(a(2), 2).processWatermark(9).processElement(a(3), 11);
      const snapshot = first.snapshot();
      await resolveAll([0, 1, 2]);
      const restored = OperatorTestHarness.of(lookup(ordered), { restore: snapshot });
      // The record after the watermark finishes first; the ones before it come out before it all the same.
      await resolveAll([2, 1, 0]);
      await restored.settle();
      const records = restored.extractOutputStreamRecords();
      expect(records.slice(0, 2)).toEqual(
        ordered
          ? [
              { value: a(1), timestamp: 1 },
              { value: a(2), timestamp: 2 },
            ]
          : [
              { value: a(2), timestamp: 2 },
              { value: a(1), timestamp: 1 },
            ],
      );
      expect(records[2]).toEqual({ value: a(3), timestamp: 11 });
      expect(restored.extractWatermarks()).toEqual([9]);
    },
  );

  it.each([true, false])(
    'ordered %s: an event-time window after it sums the restored records in their windows, none late',
    async (ordered) => {
      const first = OperatorTestHarness.of(sums(ordered));
      first
        .processElement(a(1), 1)
        .processElement(a(2), 2)
        .processWatermark(9)
        .processElement(a(3), 8)
        .processElement(a(4), 11);
      const snapshot = first.snapshot();
      await resolveAll([0, 1, 2, 3]);
      const restored = OperatorTestHarness.of(sums(ordered), { restore: snapshot });
      await resolveAll([3, 2, 1, 0]);
      await restored.settle();
      restored.processWatermark(19);
      expect(restored.extractOutputStreamRecords()).toEqual([
        { value: { sensor: 'a', windowStart: 0, windowEnd: 10, sum: 3 }, timestamp: 9 },
        { value: { sensor: 'a', windowStart: 10, windowEnd: 20, sum: 4 }, timestamp: 19 },
      ]);
      // 8 came after watermark 9: late, as it was before the snapshot.
      expect(restored.sideOutputStreamRecords('late')).toEqual([{ value: a(3), timestamp: 8 }]);
    },
  );
});
