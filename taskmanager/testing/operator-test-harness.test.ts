import { type DataStream, TumblingEventTimeWindows } from '../../common/datastream';
import { OperatorTestHarness } from './operator-test-harness';

interface Reading {
  sensor: string;
  value: number;
}

describe('OperatorTestHarness', () => {
  it('runs a chain of stateless operators synchronously, in order', () => {
    const h = OperatorTestHarness.of<string, number>((s) => s.map((x) => x.length).filter((n) => n > 1));
    h.processElements(['a', 'bb', 'ccc']);
    expect(h.extractOutputValues()).toEqual([2, 3]);
    h.clearOutput().processElement('dddd');
    expect(h.extractOutputValues()).toEqual([4]);
  });

  it('runs keyed aggregations and shows their state by uid', () => {
    const h = OperatorTestHarness.of<Reading, Reading>((s) => s.keyBy('sensor').max('value').uid('peak'));
    h.processElements([
      { sensor: 'a', value: 3 },
      { sensor: 'b', value: 1 },
      { sensor: 'a', value: 2 },
      { sensor: 'a', value: 5 },
    ]);
    expect(h.extractOutputValues().map((r) => r.value)).toEqual([3, 1, 3, 5]);
    expect(h.keyedState<Reading>('peak')).toEqual(
      new Map([
        ['a', { sensor: 'a', value: 5 }],
        ['b', { sensor: 'b', value: 1 }],
      ]),
    );
    expect(() => h.keyedState('nope')).toThrow(/no keyed operator "nope" \(keyed operators: peak\)/);
  });

  it('restores keyed state from a snapshot, as after a checkpoint', () => {
    const pipeline = (s: DataStream<string>) =>
      s
        .keyBy((w) => w.length)
        .count()
        .uid('lengths');
    const first = OperatorTestHarness.of(pipeline).processElements(['ab', 'cd', 'e']);
    const second = OperatorTestHarness.of(pipeline, { restore: first.snapshot() }).processElement('fg');
    expect(second.extractOutputValues()).toEqual([{ key: 2, count: 3 }]);
    expect(() => OperatorTestHarness.of(pipeline, { restore: { keyed: { other: [] } } })).toThrow(
      /state of "other", which is no operator of this pipeline \(operators with state: lengths\)/,
    );
  });

  it('collects what a process function emits, and user errors name the operator', () => {
    const h = OperatorTestHarness.of<string, string>((s) =>
      s
        .process<string>((line, out) => {
          if (line === 'boom') throw new Error('bad line');
          for (const c of line) out.collect(c);
        })
        .uid('chars'),
    );
    expect(h.processElement('hi').extractOutputValues()).toEqual(['h', 'i']);
    expect(() => h.processElement('boom')).toThrow(/operator "chars" threw: bad line/);
  });

  it('settle() waits for asyncMap calls and emits their results in input order', async () => {
    const h = OperatorTestHarness.of<number, string>((s) =>
      s
        .asyncMap((n) => new Promise<string>((resolve) => setImmediate(() => resolve(`#${n}`))), {
          timeout: 60_000,
          capacity: 2,
        })
        .uid('lookup'),
    );
    h.processElements([3, 1, 2]);
    expect((await h.settle()).extractOutputValues()).toEqual(['#3', '#1', '#2']);
    const failing = OperatorTestHarness.of<number, number>((s) =>
      s.asyncMap<number>(() => Promise.reject(new Error('down')), { timeout: 60_000 }).uid('lookup'),
    );
    await expect(failing.processElement(1).settle()).rejects.toThrow(/operator "lookup" threw: down/);
  });

  it('refuses a pipeline that is not one line, and an invalid one as the job would', () => {
    expect(() =>
      OperatorTestHarness.of<string, string>((s) => {
        s.map((x) => x).uid('other');
        return s.map((x) => x);
      }),
    ).toThrow(/one line of operators: "map" reads \["harness-input"\], not only "other"/);
    expect(() => OperatorTestHarness.of<string, string>((s) => s.map((x) => x).setParallelism(0))).toThrow(
      /nodes\[1\]\.parallelism: must be >= 1/,
    );
    expect(() =>
      OperatorTestHarness.of<string, string>((s) => {
        const m = s.map((x) => x);
        m.print().uid('console');
        return m;
      }),
    ).toThrow(/"console" is a sink/);
  });

  it("keeps a window's late records by tag, as they came in, with a key field or a key selector", () => {
    const byField = OperatorTestHarness.of((s: DataStream<Reading>) =>
      s.keyBy('sensor').window(TumblingEventTimeWindows.of(10)).sum('value').uid('sums'),
    );
    const bySelector = OperatorTestHarness.of((s: DataStream<Reading>) =>
      s
        .keyBy((r) => r.sensor)
        .window(TumblingEventTimeWindows.of(10))
        .sum('value')
        .uid('sums'),
    );
    for (const h of [byField, bySelector] as OperatorTestHarness<Reading, unknown>[]) {
      h.processElement({ sensor: 'a', value: 1 }, 3).processWatermark(20).processElement({ sensor: 'a', value: 7 }, 4);
      expect(h.sideOutput<Reading>('late')).toEqual([{ sensor: 'a', value: 7 }]);
      expect(h.extractOutputValues()).toHaveLength(1);
    }
  });
  it('a snapshot is the state as it was when taken, as a checkpoint is', () => {
    const pipeline = (s: DataStream<Reading>) => s.keyBy('sensor').sum('value').uid('sums');
    const first = OperatorTestHarness.of(pipeline).processElement({ sensor: 'a', value: 1 });
    const snapshot = first.snapshot();
    first.processElement({ sensor: 'a', value: 5 }); // sum updates its state's record in place
    const second = OperatorTestHarness.of(pipeline, { restore: snapshot }).processElement({ sensor: 'a', value: 1 });
    expect(second.extractOutputValues()).toEqual([{ sensor: 'a', value: 2 }]);
  });

  // Flink's KeyedProcessOperatorTest#testSnapshotAndRestore: timers of both clocks survive a restore; deleted ones do not.
  it("restores a process function's timers: each fires once in the restored harness, with the key", () => {
    const bothTriggering = (s: DataStream<number>) =>
      s
        .keyBy((v) => v)
        .process<string>({
          processElement(_value, ctx) {
            ctx.registerProcessingTimeTimer(3);
            ctx.registerEventTimeTimer(4);
            ctx.registerProcessingTimeTimer(5);
            ctx.registerEventTimeTimer(6);
            ctx.deleteProcessingTimeTimer(3);
            ctx.deleteEventTimeTimer(4);
          },
          onTimer(_timestamp, ctx) {
            if (ctx.key !== 5) throw new Error(`timer of key ${String(ctx.key)}`);
            ctx.emit(ctx.timeDomain === 'event' ? 'EVENT:1777' : 'PROC:1777');
          },
        })
        .uid('both');
    const first = OperatorTestHarness.of(bothTriggering).processElement(5, 12);
    const restored = OperatorTestHarness.of(bothTriggering, { restore: first.snapshot() });
    restored.advanceProcessingTime(5).processWatermark(6);
    expect(restored.extractOutputStreamRecords()).toEqual([
      { value: 'PROC:1777' },
      { value: 'EVENT:1777', timestamp: 6 },
    ]);
    expect(restored.extractWatermarks()).toEqual([6]);
  });

  // Flink's WindowOperatorTest#testTumblingEventTimeWindowsReduce: windows open at the snapshot fire after the restore.
  it("restores a window operator's contents and timers: its windows fire at the watermarks after the restore", () => {
    type Pair = [string, number];
    const sumPerKey = (s: DataStream<Pair>) =>
      s
        .keyBy((p) => p[0])
        .window(TumblingEventTimeWindows.of(3000))
        .reduce((a, b): Pair => [a[0], a[1] + b[1]])
        .uid('window')
        .map((r) => r.reduce);
    const h = OperatorTestHarness.of(sumPerKey);
    const elements: [Pair, number][] = [
      [['key2', 1], 3999],
      [['key2', 1], 3000],
      [['key1', 1], 20],
      [['key1', 1], 0],
      [['key1', 1], 999],
      [['key2', 1], 1998],
      [['key2', 1], 1999],
      [['key2', 1], 1000],
    ];
    for (const [pair, ts] of elements) h.processElement(pair, ts);
    h.processWatermark(999).processWatermark(1999);
    expect(h.extractOutputStreamRecords()).toEqual([]);
    expect(h.extractWatermarks()).toEqual([999, 1999]);

    const restored = OperatorTestHarness.of(sumPerKey, { restore: h.snapshot() });
    const sorted = () =>
      restored
        .extractOutputStreamRecords()
        .sort((a, b) => a.timestamp! - b.timestamp! || a.value[0].localeCompare(b.value[0]));
    restored.processWatermark(2999);
    expect(sorted()).toEqual([
      { value: ['key1', 3], timestamp: 2999 },
      { value: ['key2', 3], timestamp: 2999 },
    ]);
    restored.processWatermark(3999).processWatermark(4999);
    expect(sorted()).toHaveLength(2);
    restored.processWatermark(5999);
    expect(sorted()).toEqual([
      { value: ['key1', 3], timestamp: 2999 },
      { value: ['key2', 3], timestamp: 2999 },
      { value: ['key2', 2], timestamp: 5999 },
    ]);
    restored.processWatermark(6999).processWatermark(7999); // those have no effect
    expect(sorted()).toHaveLength(3);
    expect(restored.extractWatermarks()).toEqual([2999, 3999, 4999, 5999, 6999, 7999]);
  });

  it('a snapshot holds what a checkpoint does: keyed state, timers with the watermark, asyncMap inputs', async () => {
    const calls: (() => void)[] = [];
    const h = OperatorTestHarness.of((s: DataStream<Reading>) =>
      s
        .asyncMap((r) => new Promise<Reading>((resolve) => calls.push(() => resolve(r))), { timeout: 60_000 })
        .uid('lookup')
        .keyBy('sensor')
        .window(TumblingEventTimeWindows.of(10))
        .sum('value')
        .uid('sums'),
    );
    h.processWatermark(3).processElement({ sensor: 'a', value: 1 }, 4);
    expect(h.snapshot()).toEqual({
      keyed: { sums: [] },
      async: { lookup: [{ kind: 'record', value: { sensor: 'a', value: 1 }, timestamp: 4 }] },
      operators: { sums: { watermark: 3, event: [], processing: [] } },
    });
    for (const call of calls) call();
    await h.settle();
  });

  it('keeps the event time of each record, of the main and the side output', () => {
    const h = OperatorTestHarness.of((s: DataStream<Reading>) =>
      s.keyBy('sensor').window(TumblingEventTimeWindows.of(10)).sum('value').uid('sums'),
    );
    h.processElement({ sensor: 'a', value: 1 }, 3).processWatermark(20).processElement({ sensor: 'a', value: 7 }, 4);
    expect(h.extractOutputStreamRecords()).toEqual([
      { value: { sensor: 'a', windowStart: 0, windowEnd: 10, sum: 1 }, timestamp: 9 },
    ]);
    expect(h.sideOutputStreamRecords<Reading>('late')).toEqual([{ value: { sensor: 'a', value: 7 }, timestamp: 4 }]);
    const untimed = OperatorTestHarness.of<string, string>((s) => s.map((x) => x.toUpperCase())).processElement('a');
    expect(untimed.extractOutputStreamRecords()).toStrictEqual([{ value: 'A' }]);
    expect(() => untimed.processElement('b', NaN)).toThrow(/event time NaN of "b" is not a number of ms/);
  });
});
