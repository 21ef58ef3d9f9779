/**
 * WindowedStream: `keyBy(...).window(assigner)` followed by one aggregate, the job file's `window`
 * node. Each window's result is one record `{<key field>: key, windowStart, windowEnd, <aggregate>: value}`
 * (`key` for a key selector), emitted when the watermark (or the processing-time clock) passes the
 * window's end; with `allowedLateness` a late record within it emits an updated result, and records
 * later than that go to the side output `late` (`getSideOutput('late')`).
 */
import { DataStream, SingleOutputStreamOperator, type NumberField } from './datastream';
import { besideFields, inEnvelope, KEY_FIELD, type KeyCarrier, type Keyed, type KeyedStream } from './keyed-stream';
import type { LATE_OUTPUT } from '../jobfile';
import type { WindowAssigner } from './time';
import type { AggregateKind, Duration, Transformation } from './transformation';

/** The runtime's side output of records too late for every window they belong to. */
export type LateOutput = typeof LATE_OUTPUT;

export type WindowResult<KF extends string, K, A extends string, V> = { [P in KF]: K } & { windowStart: number; windowEnd: number } & { [P in A]: V };

/** Flink's AggregateFunction; the accumulator is kept in checkpoints, so it must be plain data. */
export interface AggregateFunction<T, ACC, R> {
  createAccumulator(): ACC;
  add(value: T, accumulator: ACC): ACC;
  merge(a: ACC, b: ACC): ACC;
  getResult(accumulator: ACC): R;
}

/** A window's results, and the late records it dropped (`getSideOutput('late')`). */
export type WindowOperator<R, T> = SingleOutputStreamOperator<R> & {
  /** The records later than the window's allowed lateness, as they came in. */
  getSideOutput(tag: LateOutput): DataStream<T>;
};

export class WindowedStream<T, K, KF extends string> {
  private lateness: Duration | undefined;

  constructor(
    private readonly keyed: KeyedStream<T, K, KF>,
    private readonly assigner: WindowAssigner,
  ) {}

  /** How long after a window's end late records still update its result (event time; default 0). */
  allowedLateness(lateness: Duration): this {
    this.lateness = lateness;
    return this;
  }

  private node<R>(aggregate: AggregateKind, extra: Partial<Transformation>, carrier: KeyCarrier, result?: (value: unknown) => unknown, rename?: boolean): WindowOperator<R, T> {
    const { window, time } = this.assigner;
    const settings: Partial<Transformation> = {
      window, aggregate, ...(time === 'processing' && { time }), ...(this.lateness !== undefined && { allowedLateness: this.lateness }), ...extra,
    };
    const keyField = typeof this.keyed.key === 'string' ? this.keyed.key : KEY_FIELD;
    // A custom aggregate's result field is its fn's name, the node id: the API calls it `result`.
    const field = rename ? undefined : aggregate;
    const tidy = ({ [keyField]: key, windowStart, windowEnd, ...rest }: Keyed): Keyed => {
      const value = field ? rest[field] : Object.values(rest)[0];
      return { [keyField === KEY_FIELD ? 'key' : keyField]: key, windowStart, windowEnd, [field ?? 'result']: result ? result(value) : value };
    };
    const selector = typeof this.keyed.key !== 'string';
    const { main, out } = this.keyed.keyedNode({ type: 'window', extra: settings, carrier, unkey: tidy, ...(rename && { output: tidy }) });
    const graph = this.keyed.graph;
    const getSideOutput = (tag: LateOutput): DataStream<T> => {
      if (!selector) return new DataStream<T>(graph, main, undefined, tag);
      // A key selector's late records are wrapped like the window's input: unwrap them.
      const t = graph.add({ type: 'map', inputs: [main], inputTag: tag, parallelismFrom: main, helperOf: { main, role: tag }, fn: carrier.unwrap });
      return new DataStream<T>(graph, t);
    };
    return Object.assign(new SingleOutputStreamOperator<R>(graph, out, main), { getSideOutput });
  }

  /** Records per window: `{..., count}`. */
  count(): WindowOperator<WindowResult<KF, K, 'count', number>, T> {
    return this.node('count', {}, inEnvelope);
  }

  sum<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'sum', number>, T> {
    return this.node('sum', { field }, besideFields);
  }

  min<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'min', number>, T> {
    return this.node('min', { field }, besideFields);
  }

  max<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'max', number>, T> {
    return this.node('max', { field }, besideFields);
  }

  avg<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'avg', number>, T> {
    return this.node('avg', { field }, besideFields);
  }

  /** The window's records combined pairwise: `{..., reduce}`. */
  reduce(fn: (accumulated: T, value: T) => T): WindowOperator<WindowResult<KF, K, 'reduce', T>, T> {
    if (typeof this.keyed.key === 'string') return this.node('reduce', { fn }, besideFields);
    const enveloped = (a: Keyed, b: Keyed): Keyed => ({ [KEY_FIELD]: a[KEY_FIELD], value: fn(a.value as T, b.value as T) });
    return this.node('reduce', { fn: enveloped }, inEnvelope, (e) => (e as Keyed).value);
  }

  /** Flink's `aggregate(AggregateFunction)`: `{..., result}` with what `getResult` returns. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): WindowOperator<WindowResult<KF, K, 'result', R>, T> {
    const selector = typeof this.keyed.key !== 'string';
    const runtime = {
      create: () => fn.createAccumulator(),
      add: (acc: ACC, r: unknown) => fn.add(selector ? ((r as Keyed).value as T) : (r as T), acc),
      merge: (a: ACC, b: ACC) => fn.merge(a, b),
      result: (acc: ACC) => fn.getResult(acc),
    };
    return this.node('custom', { fn: runtime }, selector ? inEnvelope : besideFields, undefined, true);
  }
}
