/**
 * Operators of a chain. Each node of a vertex becomes an operator that pushes its results to the
 * next one by function call; the last one pushes into the task's output (channels or a sink).
 * Keyed aggregations emit the updated value for every input (a changelog), so the last record per
 * key that reaches a sink is the final value.
 */
import { UserFunctionError } from '../../common/errors';
import type { NodeSpec } from '../../common/jobfile';
import type { FunctionRegistry, UserFunction } from './functions';
import { KeyedState } from '../state/keyed-state';
import { AsyncOperators, AsyncWaitOperator } from './async-wait';

export type Collector = (record: unknown) => void;

/** A chain ready to take records, with the keyed state of its stateful operators by node id. */
export interface Chain {
  push: Collector;
  states: Map<string, KeyedState<unknown>>;
  /** Its asyncMap operators; the task drains them (see async-wait.ts). */
  async: AsyncOperators;
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
  if (typeof v !== 'number') throw new UserFunctionError(node.id, new TypeError(`field "${name}" of ${JSON.stringify(record)} is not a number`));
  return v;
}

function withField(record: unknown, name: string, value: unknown): Record<string, unknown> {
  return { ...(record as Record<string, unknown>), [name]: value };
}

/** One operator: takes a record, pushes zero or more downstream; keyed ones register their state. */
export function createOperator(
  node: NodeSpec,
  fns: FunctionRegistry,
  maxParallelism: number,
  out: Collector,
  states: Map<string, KeyedState<unknown>>,
): Collector {
  const keyedState = <V>() => {
    const state = new KeyedState<V>(maxParallelism);
    states.set(node.id, state as KeyedState<unknown>);
    return state;
  };
  const keyOf = (r: unknown) => field(r, node.keyBy!) ?? null;
  switch (node.type) {
    case 'map': {
      const fn = fns.resolve(node.fn!);
      return (r) => out(call(node, fn, r));
    }
    case 'flatMap': {
      const fn = fns.resolve(node.fn!);
      return (r) => {
        const results = call(node, fn, r);
        if (results == null) return;
        for (const x of results as Iterable<unknown>) out(x);
      };
    }
    case 'filter': {
      const fn = fns.resolve(node.fn!);
      return (r) => {
        if (call(node, fn, r)) out(r);
      };
    }
    case 'sum':
    case 'min':
    case 'max': {
      const f = node.field!;
      const combine =
        node.type === 'sum' ? (a: number, b: number) => a + b : node.type === 'min' ? Math.min : Math.max;
      const state = keyedState<Record<string, unknown>>();
      return (r) => {
        const v = numberField(node, r, f);
        out(state.update(keyOf(r), (prev) => (prev ? withField(prev, f, combine(prev[f] as number, v)) : withField(r, f, v))));
      };
    }
    case 'count': {
      const f = node.field ?? 'count';
      const state = keyedState<number>();
      return (r) => {
        const key = keyOf(r);
        out({ [node.keyBy!]: key, [f]: state.update(key, (n) => (n ?? 0) + 1) });
      };
    }
    case 'reduce': {
      const fn = fns.resolve(node.fn!);
      const state = keyedState<unknown>();
      return (r) => out(state.update(keyOf(r), (prev) => (prev === undefined ? r : call(node, fn, prev, r))));
    }
    default:
      throw new Error(`node type "${node.type}" is not an operator`);
  }
}

/** Compose the operator nodes of a chain, head first, ending in `out`. */
export function createChain(
  nodes: NodeSpec[],
  fns: FunctionRegistry,
  maxParallelism: number,
  out: Collector,
  onAsyncSettled: () => void = () => undefined,
): Chain {
  const states = new Map<string, KeyedState<unknown>>();
  const async = new AsyncOperators(onAsyncSettled);
  let push = out;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (node.type === 'asyncMap') {
      const op = new AsyncWaitOperator(node, fns.resolve(node.fn!), node.async!, push, async.onSettled);
      async.list.unshift(op);
      push = op.push;
    } else push = createOperator(node, fns, maxParallelism, push, states);
  }
  return { push, states, async };
}
