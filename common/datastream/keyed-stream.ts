/**
 * KeyedStream: a stream partitioned by key, with the keyed nodes of the job file: running
 * aggregates (emit the updated value for every record), windows (see windowed-stream.ts) and
 * keyed process functions with state and timers.
 *
 * The engine keys on a record field. A key selector's key is computed into a field by a map
 * chained to the input before the shuffle and removed by a map chained after the keyed node, so
 * the user's functions and the results see records as they were.
 */
import { checkedKey } from '../key-groups';
import { SingleOutputStreamOperator, type KeySelector, type NumberField, type TransformationSink } from './datastream';
import type { KeyedProcessFunction } from './process';
import type { WindowAssigner } from './time';
import type { NodeType, Transformation } from './transformation';
import { WindowedStream } from './windowed-stream';

/** Records of the key selector's key, in a field only the API's own helper maps see. */
export const KEY_FIELD = '__flinkxKey';
export type Keyed = Record<string, unknown>;

/** How a keyed node's input carries a selector's key, and how its output loses it again. */
export interface KeyCarrier {
  wrap(record: unknown, key: unknown): Keyed;
  unwrap(result: Keyed): unknown;
}
/** Numeric aggregates read and keep the record's fields: the key rides along as one more field. */
export const besideFields: KeyCarrier = {
  wrap: (r, key) => ({ ...(r as Keyed), [KEY_FIELD]: key }),
  unwrap: ({ [KEY_FIELD]: _, ...r }) => r,
};
/** Records of any type (strings too) travel in an envelope, so user functions see them as they are. */
export const inEnvelope: KeyCarrier = {
  wrap: (value, key) => ({ [KEY_FIELD]: key, value }),
  unwrap: (e) => e.value,
};

/** The stream a keyed node reads: a transformation's main output, or one of its side outputs. */
export interface KeyedInput {
  transformation: Transformation;
  tag?: string;
}

/** What a keyed node adds for a key selector: its input wrapped by `carrier`, its output mapped back. */
export interface KeyedNode {
  type: NodeType;
  extra: Partial<Transformation>;
  carrier: KeyCarrier;
  /** Maps the node's output back for a key selector (default: `carrier.unwrap`; null: none needed). */
  unkey?: ((result: Keyed) => unknown) | null;
  /** Maps the node's output for a field key (default: none). */
  output?: (result: Keyed) => unknown;
}

export class KeyedStream<T, K, KF extends string> {
  declare readonly __key?: K;

  constructor(
    readonly graph: TransformationSink,
    private readonly input: KeyedInput,
    /** A field name, or a selector whose key the results carry as `key`. */
    readonly key: string | KeySelector<T, unknown>,
  ) {}

  /** Adds `node` keyed by this stream's key: the keyed transformation and the one with its results. */
  keyedNode(node: KeyedNode): { main: Transformation; out: Transformation } {
    const { transformation: input, tag } = this.input;
    const result = (main: Transformation, out: Transformation) => ({ main, out });
    const helper = (main: Transformation, role: string, fn: (r: Keyed) => unknown) =>
      this.graph.add({ type: 'map', inputs: [main], parallelismFrom: main, helperOf: { main, role }, fn });
    if (typeof this.key === 'string') {
      const t = this.graph.add({ type: node.type, inputs: [input], inputTag: tag, keyBy: this.key, ...node.extra });
      return result(t, node.output ? helper(t, 'result', node.output) : t);
    }
    const selector = this.key;
    const inputs: Transformation[] = [];
    const keyed: Transformation = { type: node.type, inputs, keyBy: KEY_FIELD, ...node.extra };
    inputs.push(this.graph.add({
      type: 'map', inputs: [input], inputTag: tag, parallelismFrom: input, helperOf: { main: keyed, role: 'key' },
      fn: (r: T) => node.carrier.wrap(r, selectedKey(selector, r)),
    }));
    this.graph.add(keyed);
    if (node.unkey === null) return result(keyed, keyed);
    return result(keyed, helper(keyed, 'unkey', node.unkey ?? node.carrier.unwrap));
  }

  private keyed<O>(node: KeyedNode): SingleOutputStreamOperator<O> {
    const { main, out } = this.keyedNode(node);
    return new SingleOutputStreamOperator<O>(this.graph, out, main);
  }

  sum(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'sum', extra: { field }, carrier: besideFields });
  }

  min(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'min', extra: { field }, carrier: besideFields });
  }

  max(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'max', extra: { field }, carrier: besideFields });
  }

  /** `{<key field>: key, count}` per record, or `{key, count}` for a key selector. */
  count(): SingleOutputStreamOperator<{ [P in KF]: K } & { count: number }> {
    return this.keyed({
      type: 'count', extra: {},
      carrier: { wrap: (_, key) => ({ [KEY_FIELD]: key }), unwrap: ({ [KEY_FIELD]: key, count }) => ({ key, count }) },
    });
  }

  reduce(fn: (accumulated: T, value: T) => T): SingleOutputStreamOperator<T> {
    if (typeof this.key === 'string') return this.keyed({ type: 'reduce', extra: { fn }, carrier: besideFields });
    const enveloped = (a: Keyed, b: Keyed): Keyed => ({ [KEY_FIELD]: a[KEY_FIELD], value: fn(a.value as T, b.value as T) });
    return this.keyed({ type: 'reduce', extra: { fn: enveloped }, carrier: inEnvelope });
  }

  /** Groups each key's records into windows (Flink's `window(assigner)`); an aggregate follows. */
  window(assigner: WindowAssigner): WindowedStream<T, K, KF> {
    return new WindowedStream<T, K, KF>(this, assigner);
  }

  /**
   * Flink's KeyedProcessFunction, the job file's `process` node: `fn` gets each record and a context
   * with the key's state (value, list, map; optional TTL), `emit`, the watermark and timers, which
   * call `onTimer` for the key. What it emits goes on as it is.
   */
  process<O>(fn: KeyedProcessFunction<K, T, O>): SingleOutputStreamOperator<O> {
    const code = typeof fn === 'function' ? { processElement: fn } : fn;
    if (typeof this.key === 'string') {
      return this.keyed({ type: 'process', extra: { fn: bound(code) }, carrier: besideFields });
    }
    // The record comes in an envelope with its key; `fn` sees the record.
    const unwrapped = { ...bound(code), processElement: (e: Keyed, ctx: unknown) => code.processElement((e as { value: T }).value, ctx as never) };
    return this.keyed({ type: 'process', extra: { fn: unwrapped }, carrier: inEnvelope, unkey: null });
  }
}

/**
 * The selector's key of `record`. A selector that returns null or undefined (a misspelled field in a
 * job whose types nobody checked), or what cannot be a key, fails the task for good, as a record
 * without its key field does.
 */
function selectedKey<T>(selector: KeySelector<T, unknown>, record: T): unknown {
  const key = selector(record);
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return key; // no message built per record
  return checkedKey(key, `key selector ${String(selector).replace(/\s+/g, ' ').slice(0, 100)} returned`, record);
}

/** The object's functions with `this` bound, as the runtime calls them detached. */
function bound(code: { processElement: (...a: never[]) => void; onTimer?: (...a: never[]) => void }): Record<string, (...a: never[]) => void> {
  return {
    processElement: code.processElement.bind(code),
    ...(code.onTimer && { onTimer: code.onTimer.bind(code) }),
  };
}
