/**
 * Operators of a chain. Each node of a vertex becomes an operator that pushes its results to the
 * next one by function call; the last one pushes into the task's output (channels or a sink).
 * Records keep their event time through map/flatMap/filter and keyed aggregations; watermarks and
 * watermark status pass through every operator (a window acts on them first). A node with
 * `timestamps` gets a TimestampsOperator behind it.
 * Keyed aggregations emit the updated value for every input (a changelog), so the last record per
 * key that reaches a sink is the final value.
 */
import { UserFunctionError } from '../../common/errors';
import { keyField, type NodeSpec } from '../../common/jobfile';
import { operatorUid, timestampsUid } from '../../common/operator-uids';
import type { UserFunction } from './functions';
import { KeyedState } from '../state/keyed-state';
import { keyOf as keyOfRecord, shortRecord } from '../../common/key-groups';
import { AsyncOperators, AsyncWaitOperator } from './async-wait';
import { TimestampsOperator } from '../time/timestamps-operator';
import type { OperatorContext, OperatorState, Output } from './output';
import { IntervalJoinOperator } from './join/interval-join-operator';
import { ProcessOperator } from './process/process-operator';
import { WindowOperator } from './window/window-operator';
import { MiniBatchAggregation, perRecord, type Aggregation } from './mini-batch';
import { copyRecord } from './copy-record';

export type Collector = Output['push'];

/** A chain ready to take records, with the keyed state and other operator state of its nodes by uid (common/operator-uids.ts). */
export interface Chain extends Output {
  states: Map<string, KeyedState<unknown>>;
  /** Its asyncMap operators; the task drains them (see async-wait.ts). */
  async: AsyncOperators;
  operatorStates: Map<string, OperatorState>;
  /** The `timestamps` stage of a source taking the source's record timestamps (`from: "kafka"`). */
  sourceTimestamps?: TimestampsOperator;
  /** Emit what mini-batch aggregations hold, head first (before a snapshot and at the end of input). */
  flush(): void;
  /** Windows the chain's window operators hold open. */
  openWindows(): number;
}

function call(node: NodeSpec, fn: UserFunction, ...args: unknown[]): unknown {
  try {
    return fn(...args);
  } catch (err) {
    throw new UserFunctionError(node.id, err);
  }
}

function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[name] : undefined;
}

function numberField(node: NodeSpec, record: unknown, name: string): number {
  const v = field(record, name);
  if (typeof v !== 'number')
    throw new UserFunctionError(node.id, new TypeError(`field "${name}" of ${JSON.stringify(record)} is not a number`));
  return v;
}

function withField(record: unknown, name: string, value: unknown): Record<string, unknown> {
  // Spread, then set: V8 clones the record's shape; a computed key inside the literal takes a slow path (7× here).
  const copy = { ...(record as Record<string, unknown>) };
  copy[name] = value;
  return copy;
}

/** An operator that maps each record to what it pushes and passes watermarks and status on. */
function stateless(out: Output, push: Output['push']): Output {
  return { push, watermark: (w) => out.watermark(w), status: (idle) => out.status(idle) };
}

/** One operator: takes a record, pushes zero or more downstream; stateful ones register their state. */
export function createOperator(
  node: NodeSpec,
  ctx: OperatorContext,
  out: Output,
  states: Map<string, KeyedState<unknown>>,
  operatorStates: Map<string, OperatorState>,
  bundles: MiniBatchAggregation<unknown>[],
): Output {
  const fns = ctx.fns;
  const keyedState = <V>() => {
    const state = new KeyedState<V>(ctx.maxParallelism);
    states.set(operatorUid(node), state as KeyedState<unknown>);
    return state;
  };
  const keyOf = (r: unknown) => keyOfRecord(r, keyField(node), node.id);
  const aggregation = <V>(agg: Aggregation<V>): Output => {
    const state = keyedState<V>();
    if (!ctx.miniBatch) return perRecord(agg, state, out);
    const op = new MiniBatchAggregation(agg, state, ctx.miniBatch, ctx.time, out);
    bundles.push(op as MiniBatchAggregation<unknown>);
    return op;
  };
  switch (node.type) {
    case 'map': {
      const fn = fns.resolve(node.fn!);
      return stateless(out, (r, ts) => {
        const v = call(node, fn, r, node.args);
        // A JavaScript map that forgets its return would pass undefined on, which a network hop turns into null.
        if (v === undefined)
          throw new UserFunctionError(
            node.id,
            new TypeError(`map function returned undefined for ${shortRecord(r)} (a missing return?)`),
          );
        out.push(v, ts);
      });
    }
    case 'flatMap': {
      const fn = fns.resolve(node.fn!);
      return stateless(out, (r, ts) => {
        const results = call(node, fn, r, node.args);
        if (results == null) return;
        for (const x of results as Iterable<unknown>) out.push(x, ts);
      });
    }
    case 'filter': {
      const fn = fns.resolve(node.fn!);
      return stateless(out, (r, ts) => {
        if (call(node, fn, r, node.args)) out.push(r, ts);
      });
    }
    case 'sum':
    case 'min':
    case 'max': {
      const f = node.field!;
      const combine = node.type === 'sum' ? (a: number, b: number) => a + b : node.type === 'min' ? Math.min : Math.max;
      // The state owns its record and updates it in place; downstream gets a copy. A new record per
      // update kept in state would outlive the young generation for every key not updated again soon.
      return aggregation<Record<string, unknown>>({
        key: keyOf,
        fold: (prev, r) => {
          const v = numberField(node, r, f);
          if (!prev) return withField(r, f, v);
          prev[f] = combine(prev[f] as number, v);
          return prev;
        },
        result: (_, value) => ({ ...value }),
      });
    }
    case 'count': {
      const f = node.field ?? 'count';
      const k = keyField(node);
      return aggregation<number>({ key: keyOf, fold: (n) => (n ?? 0) + 1, result: (key, n) => ({ [k]: key, [f]: n }) });
    }
    case 'reduce': {
      const fn = fns.resolve(node.fn!);
      // A reduce function may change its first argument and return it (as Flink allows): the state owns
      // its value from the first record on, and what goes downstream is a copy that nothing changes later.
      return aggregation<unknown>({
        key: keyOf,
        fold: (prev, r) => {
          if (prev === undefined) return copyRecord(r);
          const v = call(node, fn, prev, r);
          // Kept as the key's state, undefined would silently start the key over with its next record.
          if (v == null)
            throw new UserFunctionError(
              node.id,
              new TypeError(`reduce function returned ${String(v)} for ${shortRecord(r)} (a missing return?)`),
            );
          return v;
        },
        result: (_, value) => copyRecord(value),
      });
    }
    case 'intervalJoin': {
      const op = new IntervalJoinOperator(node, ctx, out);
      states.set(operatorUid(node), op.buffers as KeyedState<unknown>);
      operatorStates.set(operatorUid(node), op);
      return op;
    }
    case 'windowJoin':
    case 'window': {
      const op = new WindowOperator(node, ctx, out);
      states.set(operatorUid(node), op.contents as KeyedState<unknown>);
      operatorStates.set(operatorUid(node), op);
      return op;
    }
    case 'process': {
      const op = new ProcessOperator(node, ctx, out);
      states.set(operatorUid(node), op.store as KeyedState<unknown>);
      operatorStates.set(operatorUid(node), op);
      return op;
    }
    default:
      throw new Error(`node type "${node.type}" is not an operator`);
  }
}

/**
 * Compose a vertex's nodes, head first, ending in `out`. A source or sink node adds no operator, but
 * a source's `timestamps` does. `onAsyncSettled` wakes the task when an asyncMap call finishes.
 */
export function createChain(
  nodes: NodeSpec[],
  ctx: OperatorContext,
  out: Output,
  onAsyncSettled: () => void = () => undefined,
): Chain {
  const states = new Map<string, KeyedState<unknown>>();
  const operatorStates = new Map<string, OperatorState>();
  // Built tail first: the last one pushed is the head.
  const bundles: MiniBatchAggregation<unknown>[] = [];
  const async = new AsyncOperators(onAsyncSettled);
  let sourceTimestamps: TimestampsOperator | undefined;
  let next = out;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (node.timestamps) {
      const op = new TimestampsOperator(node, ctx, next);
      // A node's own state is under its uid; its timestamps stage is beside it.
      operatorStates.set(timestampsUid(node), op);
      if (node.timestamps.from) sourceTimestamps = op;
      next = op;
    }
    if (node.type === 'asyncMap') {
      const down = next;
      const op = new AsyncWaitOperator(
        node,
        ctx.fns.resolve(node.fn!),
        node.async!,
        (r, ts) => down.push(r, ts),
        async.onSettled,
        (w) => down.watermark(w),
      );
      async.list.unshift(op);
      next = {
        push: (r, ts) => op.push(r, ts),
        watermark: (w) => op.watermark(w),
        status: (idle) => down.status(idle),
      };
    } else if (node.type !== 'source' && node.type !== 'sink')
      next = createOperator(node, ctx, next, states, operatorStates, bundles);
  }
  const head = next;
  return {
    push: (r, ts, input, kg) => head.push(r, ts, input, kg),
    watermark: (w) => head.watermark(w),
    status: (idle) => head.status(idle),
    states,
    operatorStates,
    async,
    sourceTimestamps,
    flush: () => {
      for (let i = bundles.length - 1; i >= 0; i--) bundles[i].flush();
    },
    openWindows: () => {
      let n = 0;
      for (const op of operatorStates.values()) if (op instanceof WindowOperator) n += op.openWindows;
      return n;
    },
  };
}
