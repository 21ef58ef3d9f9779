import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorTestHarness } from './operator-test-harness';
import { quietSensors, type Alert, type Reading } from '../../jobs/quiet-sensors/quiet';
import { parseJobSpec } from '../../common/jobfile';
import { captureJob } from '../../common/datastream/execution-context';
import {
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
} from '../../common/datastream/index';

const ROOT = join(__dirname, '..', '..');
const jobFile = (name: string) => parseJobSpec(JSON.parse(readFileSync(join(ROOT, 'jobs', name, 'job.json'), 'utf8')));
const jobModule = (name: string) =>
  captureJob(() => jest.isolateModules(() => require(join(ROOT, 'jobs', name, 'job.ts'))))!;

describe('event time, windows and process functions build the job file nodes', () => {
  it('jobs/windowed-wordcount/job.ts: timestamps, a tumbling count with lateness, and its late output', () => {
    const { spec, functions } = jobModule('windowed-wordcount');
    const expected = jobFile('windowed-wordcount');
    expected.nodes[1].fn = 'events';
    expect(parseJobSpec(spec)).toEqual(expected);
    expect([...functions.keys()]).toEqual(['events']);
  });

  it('jobs/quiet-sensors/job.ts: a keyed process function', () => {
    const { spec, functions } = jobModule('quiet-sensors');
    const expected = { ...jobFile('quiet-sensors'), functions: undefined };
    expected.nodes[1].fn = 'readings';
    expected.nodes[2].fn = 'alerts';
    expect(parseJobSpec(spec)).toEqual(expected);
    expect(Object.keys(functions.get('alerts') as object)).toEqual(['processElement', 'onTimer']);
  });

  it('assigners: offset, sliding processing time, sessions; a key selector adds helper maps', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const events = env
      .readTextFile('in')
      .map((l) => ({ word: l, n: l.length, ts: 0 }))
      .assignTimestampsAndWatermarks({ field: 'ts', maxOutOfOrderness: 100, idleTimeout: '1s' });
    events.keyBy('word').window(TumblingEventTimeWindows.of('1m', '10s')).sum('n').print();
    events.keyBy('word').window(SlidingProcessingTimeWindows.of('10s', '5s')).max('n').print();
    events
      .keyBy((e) => e.word.length)
      .window(EventTimeSessionWindows.withGap(500))
      .avg('n')
      .print();
    const nodes = parseJobSpec(env.buildJob('w').spec).nodes;
    expect(nodes[1].timestamps).toEqual({ field: 'ts', unit: 'ms', maxOutOfOrderness: 100, idleTimeout: 1000 });
    const windows = nodes.filter((n) => n.type === 'window');
    expect(windows.map((n) => [n.window, n.time, n.aggregate, n.field])).toEqual([
      [{ kind: 'tumbling', size: 60_000, offset: 10_000 }, undefined, 'sum', 'n'],
      [{ kind: 'sliding', size: 10_000, slide: 5_000, offset: 0 }, 'processing', 'max', 'n'],
      [{ kind: 'session', gap: 500 }, undefined, 'avg', 'n'],
    ]);
    expect(nodes.map((n) => n.id).slice(-4)).toEqual(['window-3-key', 'window-3', 'window-3-unkey', 'sink-3']);
  });

  it("offsets as Flink's: negative ones (a day in UTC+8), sliding windows too; one not within the size or slide fails naming the field", () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const events = env
      .readTextFile('in')
      .map((l) => ({ word: l, n: l.length, ts: 0 }))
      .assignTimestampsAndWatermarks({ field: 'ts' });
    events.keyBy('word').window(TumblingEventTimeWindows.of('24h', '-8h')).count().print();
    events
      .keyBy('word')
      .window(SlidingEventTimeWindows.of('1h', '15m', '-5m'))
      .count()
      .print();
    events
      .keyBy('word')
      .window(SlidingProcessingTimeWindows.of(10, 5, 2))
      .count()
      .print();
    const windows = parseJobSpec(env.buildJob('w').spec).nodes.filter((n) => n.type === 'window');
    expect(windows.map((n) => n.window)).toEqual([
      { kind: 'tumbling', size: 86_400_000, offset: -28_800_000 },
      { kind: 'sliding', size: 3_600_000, slide: 900_000, offset: -300_000 },
      { kind: 'sliding', size: 10, slide: 5, offset: 2 },
    ]);
    const refused = (assigner: ReturnType<typeof SlidingEventTimeWindows.of>) => {
      const bad = StreamExecutionEnvironment.getExecutionEnvironment();
      bad
        .readTextFile('in')
        .map((l) => ({ ts: l.length }))
        .assignTimestampsAndWatermarks({ field: 'ts' })
        .keyBy('ts')
        .window(assigner)
        .count()
        .print();
      return () => parseJobSpec(bad.buildJob('w').spec);
    };
    expect(refused(SlidingEventTimeWindows.of('20s', '10s', '-10s'))).toThrow(
      /window\.offset.*\|offset\| must be less than the slide/,
    );
    expect(refused(TumblingEventTimeWindows.of('10s', '-11s'))).toThrow(
      /window\.offset.*\|offset\| must be less than the size/,
    );
  });

  it('a sliding event-time window with a negative offset in the harness: results per window start', () => {
    const h = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Word>) =>
      s
        .keyBy('word')
        .window(SlidingEventTimeWindows.of(10, 5, -2))
        .sum('n'),
    );
    h.processElement({ word: 'a', n: 1 }, -3)
      .processElement({ word: 'a', n: 2 }, 2)
      .processElement({ word: 'a', n: 4 }, 3)
      .processWatermark(Infinity);
    expect(h.extractOutputValues().map((r) => [r.windowStart, r.sum])).toEqual([
      [-12, 1],
      [-7, 3],
      [-2, 6],
      [3, 4],
    ]);
  });
});

type Word = { word: string; n: number };

describe('windowed pipelines in the harness', () => {
  it('a tumbling sum fires at the watermark; a record past the lateness goes to the late output', () => {
    const h = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Word>) => {
      const sums = s.keyBy('word').window(TumblingEventTimeWindows.of(10)).allowedLateness(5).sum('n');
      return sums.map((r) => `${r.word}@${r.windowStart}-${r.windowEnd}=${r.sum}`);
    });
    h.processElement({ word: 'a', n: 1 }, 1)
      .processElement({ word: 'a', n: 2 }, 9)
      .processElement({ word: 'b', n: 5 }, 12);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(9);
    expect(h.extractOutputValues()).toEqual(['a@0-10=3']);
    h.processElement({ word: 'a', n: 4 }, 3); // within the lateness: an updated result
    expect(h.extractOutputValues()).toEqual(['a@0-10=3', 'a@0-10=7']);
    h.processWatermark(15).processElement({ word: 'a', n: 8 }, 4);
    expect(h.sideOutput('late')).toEqual([{ word: 'a', n: 8 }]);
    h.processWatermark(19);
    expect(h.extractOutputValues()).toEqual(['a@0-10=3', 'a@0-10=7', 'b@10-20=5']);
  });

  it('a key selector and a custom aggregate: results carry `key` and `result`', () => {
    const h = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Word>) =>
      s
        .keyBy((w) => w.word.toUpperCase())
        .window(TumblingEventTimeWindows.of(10))
        .aggregate({
          createAccumulator: () => [] as string[],
          add: (w, acc) => [...acc, w.word],
          merge: (a, b) => [...a, ...b],
          getResult: (acc) => acc.join('+'),
        }),
    );
    h.processElement({ word: 'x', n: 0 }, 1).processElement({ word: 'X', n: 0 }, 2).processWatermark(9);
    expect(h.extractOutputValues()).toEqual([{ key: 'X', windowStart: 0, windowEnd: 10, result: 'x+X' }]);
  });

  it('a key selector: count and reduce results carry `key`; late records come out as they went in', () => {
    // The late output reads "<window>.late" through a map that unwraps the selector's envelope.
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const windowed = env
      .readTextFile('in')
      .map((l) => ({ ts: l.length, l }))
      .assignTimestampsAndWatermarks({ field: 'ts' })
      .keyBy((r) => r.l.length)
      .window(TumblingEventTimeWindows.of(10))
      .count()
      .uid('w');
    windowed.getSideOutput('late').print();
    const { spec, functions } = env.buildJob('late');
    expect(spec.nodes.slice(-2).map((n) => [n.id, n.inputs])).toEqual([
      ['w-late', ['w.late']],
      ['sink', ['w-late']],
    ]);
    expect((functions.get('w-late') as (r: unknown) => unknown)({ __flinkxKey: 2, value: { ts: 2, l: 'cd' } })).toEqual(
      { ts: 2, l: 'cd' },
    );
    const reduced = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Word>) =>
      s
        .keyBy((w) => w.word)
        .window(TumblingEventTimeWindows.of(10))
        .reduce((a, b) => ({ word: a.word, n: a.n + b.n })),
    );
    reduced.processElement({ word: 'a', n: 1 }, 1).processElement({ word: 'a', n: 2 }, 2).processWatermark(9);
    expect(reduced.extractOutputValues()).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, reduce: { word: 'a', n: 3 } },
    ]);
    const counts = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<string>) =>
      s
        .keyBy((w) => w.length)
        .window(TumblingEventTimeWindows.of(10))
        .count(),
    );
    counts.processElement('ab', 1).processElement('cd', 2).processWatermark(9);
    expect(counts.extractOutputValues()).toEqual([{ key: 2, windowStart: 0, windowEnd: 10, count: 2 }]);
  });

  it("quiet-sensors' process function alerts when the watermark passes a quiet 10 s, with state per key", () => {
    const h = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Reading>) =>
      s.keyBy('sensor').process(quietSensors).uid('alerts'),
    );
    h.processElement({ sensor: 's1', ts: 1000, temp: 1 }, 1000).processElement(
      { sensor: 's1', ts: 5000, temp: 1 },
      5000,
    );
    h.processElement({ sensor: 's2', ts: 2000, temp: 1 }, 2000);
    h.processWatermark(11_000);
    expect(h.extractOutputValues()).toEqual([]); // s1's timer at 11000 sees its reading at 5000
    h.processWatermark(15_000);
    expect(h.extractOutputValues()).toEqual<Alert[]>([
      { sensor: 's2', lastSeen: 2000, quietAt: 12_000 },
      { sensor: 's1', lastSeen: 5000, quietAt: 15_000 },
    ]);
  });

  it('processing-time timers fire as the manual clock advances; the key comes through a selector', () => {
    const h = OperatorTestHarness.of((s: import('../../common/datastream/datastream').DataStream<Word>) =>
      s
        .keyBy((w) => w.word)
        .process<string>({
          processElement(w, ctx) {
            const seen = ctx.valueState<number>('seen');
            seen.update((seen.value() ?? 0) + w.n);
            ctx.registerProcessingTimeTimer(ctx.currentProcessingTime() + 100);
          },
          onTimer(t, ctx) {
            ctx.emit(`${ctx.key}:${ctx.valueState<number>('seen').value()}@${ctx.timeDomain}`);
          },
        }),
    );
    h.processElement({ word: 'a', n: 2 }).processElement({ word: 'a', n: 3 });
    h.advanceProcessingTime(99);
    expect(h.extractOutputValues()).toEqual([]);
    h.advanceProcessingTime(1);
    expect(h.extractOutputValues()).toEqual(['a:5@processing']);
  });
});
