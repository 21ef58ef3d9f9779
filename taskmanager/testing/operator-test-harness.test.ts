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
    h.processElements([{ sensor: 'a', value: 3 }, { sensor: 'b', value: 1 }, { sensor: 'a', value: 2 }, { sensor: 'a', value: 5 }]);
    expect(h.extractOutputValues().map((r) => r.value)).toEqual([3, 1, 3, 5]);
    expect(h.keyedState<Reading>('peak')).toEqual(new Map([['a', { sensor: 'a', value: 5 }], ['b', { sensor: 'b', value: 1 }]]));
    expect(() => h.keyedState('nope')).toThrow(/no keyed operator "nope" \(keyed operators: peak\)/);
  });

  it('restores keyed state from a snapshot, as after a checkpoint', () => {
    const pipeline = (s: DataStream<string>) => s.keyBy((w) => w.length).count().uid('lengths');
    const first = OperatorTestHarness.of(pipeline).processElements(['ab', 'cd', 'e']);
    const second = OperatorTestHarness.of(pipeline, { restore: first.snapshot() }).processElement('fg');
    expect(second.extractOutputValues()).toEqual([{ key: 2, count: 3 }]);
    expect(() => OperatorTestHarness.of(pipeline, { restore: { other: [] } })).toThrow(/no keyed operator "other"/);
  });

  it('collects what a process function emits, and user errors name the operator', () => {
    const h = OperatorTestHarness.of<string, string>((s) =>
      s.process<string>((line, out) => {
        if (line === 'boom') throw new Error('bad line');
        for (const c of line) out.collect(c);
      }).uid('chars'),
    );
    expect(h.processElement('hi').extractOutputValues()).toEqual(['h', 'i']);
    expect(() => h.processElement('boom')).toThrow(/operator "chars" threw: bad line/);
  });

  it('settle() waits for asyncMap calls and emits their results in input order', async () => {
    const h = OperatorTestHarness.of<number, string>((s) =>
      s.asyncMap((n) => new Promise<string>((resolve) => setImmediate(() => resolve(`#${n}`))), { timeout: 60_000, capacity: 2 }).uid('lookup'),
    );
    h.processElements([3, 1, 2]);
    expect((await h.settle()).extractOutputValues()).toEqual(['#3', '#1', '#2']);
    const failing = OperatorTestHarness.of<number, number>((s) => s.asyncMap<number>(() => Promise.reject(new Error('down')), { timeout: 60_000 }).uid('lookup'));
    await expect(failing.processElement(1).settle()).rejects.toThrow(/operator "lookup" threw: down/);
  });

  it('refuses a pipeline that is not one line, and an invalid one as the job would', () => {
    expect(() => OperatorTestHarness.of<string, string>((s) => { s.map((x) => x).uid('other'); return s.map((x) => x); })).toThrow(/one line of operators: "map" reads \["harness-input"\], not only "other"/);
    expect(() => OperatorTestHarness.of<string, string>((s) => s.map((x) => x).setParallelism(0))).toThrow(/nodes\[1\]\.parallelism: must be >= 1/);
    expect(() => OperatorTestHarness.of<string, string>((s) => { const m = s.map((x) => x); m.print().uid('console'); return m; })).toThrow(/"console" is a sink/);
  });

  it('keeps a window\'s late records by tag, as they came in, with a key field or a key selector', () => {
    const byField = OperatorTestHarness.of((s: DataStream<Reading>) => s.keyBy('sensor').window(TumblingEventTimeWindows.of(10)).sum('value').uid('sums'));
    const bySelector = OperatorTestHarness.of((s: DataStream<Reading>) => s.keyBy((r) => r.sensor).window(TumblingEventTimeWindows.of(10)).sum('value').uid('sums'));
    for (const h of [byField, bySelector] as OperatorTestHarness<Reading, unknown>[]) {
      h.processElement({ sensor: 'a', value: 1 }, 3).processWatermark(20).processElement({ sensor: 'a', value: 7 }, 4);
      expect(h.sideOutput<Reading>('late')).toEqual([{ sensor: 'a', value: 7 }]);
      expect(h.extractOutputValues()).toHaveLength(1);
    }
  });
});
