import { JobFileError, type Problem } from '../errors';
import { parseJobSpec } from '.';

type Json = any;

function windowed(): Json {
  return {
    name: 'windowed',
    parallelism: 2,
    checkpointing: { interval: '2s', timeout: '1m' },
    restart: { attempts: 1, delay: '500ms' },
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: 'in.jsonl' } },
      {
        id: 'events',
        type: 'map',
        inputs: ['lines'],
        fn: 'parseJson',
        timestamps: { field: 'ts', maxOutOfOrderness: '5s', idleTimeout: '30s' },
      },
      {
        id: 'w',
        type: 'window',
        inputs: ['events'],
        keyBy: 'word',
        window: { kind: 'tumbling', size: '30s' },
        aggregate: 'count',
      },
      { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: 'out' } },
      { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'file', path: 'late' } },
    ],
  };
}

function problemsOf(input: unknown): Problem[] {
  try {
    parseJobSpec(input);
  } catch (err) {
    expect(err).toBeInstanceOf(JobFileError);
    return (err as JobFileError).problems;
  }
  throw new Error('expected the job file to be refused');
}

describe('job files with event time and windows', () => {
  it('parses durations everywhere to ms and fills the defaults', () => {
    const job = parseJobSpec(windowed());
    expect(job.checkpointing).toMatchObject({ interval: 2000, timeout: 60_000 });
    expect(job.restart).toMatchObject({ strategy: 'fixed-delay', delay: 500 });
    expect(job.nodes[1].timestamps).toEqual({ field: 'ts', unit: 'ms', maxOutOfOrderness: 5000, idleTimeout: 30_000 });
    expect(job.nodes[2].window).toEqual({ kind: 'tumbling', size: 30_000, offset: 0 });
  });

  it('names a bad duration by its path', () => {
    const job = windowed();
    job.nodes[2].window.size = '30 seconds';
    expect(problemsOf(job)).toEqual([
      { path: 'nodes[2].window.size', message: 'must be a number of ms or a string like "500ms", "30s", "5m", "1h"' },
    ]);
  });

  it('refuses a window without timestamps upstream unless it runs in processing time', () => {
    const job = windowed();
    delete job.nodes[1].timestamps;
    expect(problemsOf(job)).toEqual([
      {
        path: 'nodes[2].time',
        message: 'an event-time window needs "timestamps" on a node before it (or "time": "processing")',
      },
    ]);
    job.nodes[2].time = 'processing';
    expect(() => parseJobSpec(job)).not.toThrow();
  });

  it('names what each aggregate needs and what only windows take', () => {
    const job = windowed();
    job.nodes[2].aggregate = 'sum';
    job.nodes[1].aggregate = 'count';
    job.nodes[3].timestamps = { field: 'ts' };
    expect(problemsOf(job)).toEqual(
      expect.arrayContaining([
        { path: 'nodes[2].field', message: 'required for aggregate "sum"' },
        { path: 'nodes[1].aggregate', message: 'only for type "window"' },
        { path: 'nodes[3].timestamps', message: 'not allowed for type "sink" (records leave a sink)' },
      ]),
    );
    const custom = windowed();
    custom.nodes[2].aggregate = 'custom';
    expect(problemsOf(custom)).toEqual([{ path: 'nodes[2].fn', message: 'required for aggregate "custom"' }]);
  });

  it('reads ".late" only of a window, and refuses an id that would shadow it', () => {
    const job = windowed();
    job.nodes[4].inputs = ['events.late'];
    expect(problemsOf(job)).toEqual([
      { path: 'nodes[4].inputs[0]', message: '"events" is not a window, so it has no "late" output' },
    ]);
    const shadow = windowed();
    shadow.nodes[4].id = 'w.late';
    shadow.nodes[4].inputs = ['w'];
    expect(problemsOf(shadow)).toEqual([
      { path: 'nodes[4].id', message: '"w.late" is the name of window "w"\'s late output; choose another id' },
    ]);
  });

  it('checks window shapes', () => {
    const job = windowed();
    job.nodes[2].window = { kind: 'tumbling', size: '10s', offset: '10s' };
    expect(problemsOf(job)).toEqual([
      { path: 'nodes[2].window.offset', message: '|offset| must be less than the size (10000 ms, size 10000 ms)' },
    ]);
    job.nodes[2].window = { kind: 'sliding', size: '10s' };
    expect(problemsOf(job)).toEqual([{ path: 'nodes[2].window.slide', message: 'required' }]);
    job.nodes[2].window = { kind: 'session', gap: '1m' };
    job.nodes[2].allowedLateness = '5s';
    expect(parseJobSpec(job).nodes[2]).toMatchObject({
      window: { kind: 'session', gap: 60_000 },
      allowedLateness: 5000,
    });
  });

  it("window offsets as Flink's: negative ones too (time zones), |offset| < size, and for sliding windows |offset| < slide", () => {
    const job = windowed();
    const offsetOf = (window: Json) => {
      job.nodes[2].window = window;
      return parseJobSpec(job).nodes[2].window;
    };
    expect(offsetOf({ kind: 'tumbling', size: '24h', offset: '-8h' })).toEqual({
      kind: 'tumbling',
      size: 86_400_000,
      offset: -28_800_000,
    });
    expect(offsetOf({ kind: 'tumbling', size: 5000, offset: -4999 })).toMatchObject({ offset: -4999 });
    expect(offsetOf({ kind: 'sliding', size: '10s', slide: '5s' })).toEqual({
      kind: 'sliding',
      size: 10_000,
      slide: 5000,
      offset: 0,
    });
    expect(offsetOf({ kind: 'sliding', size: '1h', slide: '15m', offset: '-5m' })).toMatchObject({ offset: -300_000 });
    const refused = (window: Json) => {
      job.nodes[2].window = window;
      return problemsOf(job);
    };
    expect(refused({ kind: 'tumbling', size: '10s', offset: '-10s' })).toEqual([
      { path: 'nodes[2].window.offset', message: '|offset| must be less than the size (-10000 ms, size 10000 ms)' },
    ]);
    expect(refused({ kind: 'tumbling', size: '10s', offset: '11s' })).toEqual([
      { path: 'nodes[2].window.offset', message: '|offset| must be less than the size (11000 ms, size 10000 ms)' },
    ]);
    // Flink's SlidingEventTimeWindowsTest#testInvalidParameters, each refused at the field it names.
    expect(refused({ kind: 'sliding', size: '20s', slide: '10s', offset: '-11s' })).toEqual([
      { path: 'nodes[2].window.offset', message: '|offset| must be less than the slide (-11000 ms, slide 10000 ms)' },
    ]);
    expect(refused({ kind: 'sliding', size: '20s', slide: '10s', offset: '10s' })).toEqual([
      { path: 'nodes[2].window.offset', message: '|offset| must be less than the slide (10000 ms, slide 10000 ms)' },
    ]);
    expect(refused({ kind: 'sliding', size: '-2s', slide: '1s' })).toEqual([
      { path: 'nodes[2].window.size', message: 'must be a number of ms or a string like "500ms", "30s", "5m", "1h"' },
    ]);
    expect(refused({ kind: 'sliding', size: '2s', slide: 0 })).toEqual([
      { path: 'nodes[2].window.slide', message: 'must be >= 1' },
    ]);
    expect(refused({ kind: 'tumbling', size: 0 })).toEqual([{ path: 'nodes[2].window.size', message: 'must be >= 1' }]);
    expect(refused({ kind: 'sliding', size: '3h', slide: 1 })).toEqual([
      {
        path: 'nodes[2].window.slide',
        message: "size / slide must be at most 10000000 (Flink's limit of windows per record), here 10800000",
      },
    ]);
  });

  it('checks joins: two inputs, a key field per input, bounds in order, event time', () => {
    const job = windowed();
    job.nodes.splice(4, 1);
    job.nodes[2] = {
      id: 'w',
      type: 'intervalJoin',
      inputs: ['events', 'lines'],
      keyBy: { events: 'word', other: 'x' },
      between: ['5s', '-5s'],
    };
    expect(problemsOf(job)).toEqual(
      expect.arrayContaining([
        { path: 'nodes[2].keyBy', message: 'needs the key field of input "lines"' },
        { path: 'nodes[2].keyBy.other', message: 'not an input of this node' },
        { path: 'nodes[2].between', message: 'the lower bound must not be above the upper bound' },
      ]),
    );
    job.nodes[2] = {
      id: 'w',
      type: 'windowJoin',
      inputs: ['events'],
      keyBy: 'word',
      window: { kind: 'tumbling', size: '1s' },
    };
    expect(problemsOf(job)).toEqual([{ path: 'nodes[2].inputs', message: 'type "windowJoin" joins exactly 2 inputs' }]);
    job.nodes[3].keyBy = { w: 'word' };
    job.nodes[2].inputs = ['events', 'lines'];
    expect(problemsOf(job)).toEqual(
      expect.arrayContaining([
        { path: 'nodes[3].keyBy', message: expect.stringMatching(/not allowed for type "sink"/) },
      ]),
    );
    job.nodes[3].keyBy = undefined;
    job.nodes[2].between = ['-1s', '1s'];
    expect(problemsOf(job)).toEqual([{ path: 'nodes[2].between', message: 'only for type "intervalJoin"' }]);
  });

  it('a process node needs keyBy and fn', () => {
    const job = windowed();
    job.nodes[2] = { id: 'w', type: 'process', inputs: ['events'] };
    expect(problemsOf(job)).toEqual(
      expect.arrayContaining([
        { path: 'nodes[2].fn', message: 'required for type "process"' },
        { path: 'nodes[2].keyBy', message: 'required for type "process"' },
      ]),
    );
  });

  it('takes Kafka record timestamps only on a Kafka source, and one way of timestamps at a time', () => {
    const job = windowed();
    job.nodes[1].timestamps = { from: 'kafka' };
    expect(problemsOf(job)).toEqual([
      { path: 'nodes[1].timestamps.from', message: 'only a source with a Kafka connector has record timestamps' },
    ]);
    job.nodes[1].timestamps = { field: 'ts', from: 'kafka' };
    expect(problemsOf(job)).toEqual(
      expect.arrayContaining([{ path: 'nodes[1].timestamps', message: 'needs either "field" or "from": "kafka"' }]),
    );
    const kafka = windowed();
    kafka.nodes[0] = {
      id: 'lines',
      type: 'source',
      connector: { kind: 'kafka', brokers: ['b:9092'], topic: 't' },
      timestamps: { from: 'kafka', idleTimeout: '10s' },
    };
    delete kafka.nodes[1].timestamps;
    expect(parseJobSpec(kafka).nodes[0].timestamps).toEqual({
      from: 'kafka',
      unit: 'ms',
      maxOutOfOrderness: 0,
      idleTimeout: 10_000,
    });
  });
});
