/**
 * Window aggregates as Flink's AggregateFunction: an accumulator per window that is created, has
 * records added, merges with another (when session windows merge) and yields the result. The
 * accumulator is stored in checkpoints, so it is plain data (msgpack).
 */
import { UserFunctionError } from '../../../common/errors';
import type { NodeSpec } from '../../../common/jobfile';
import type { FunctionRegistry, UserFunction } from '../functions';
import { copyRecord } from '../copy-record';

export interface AggregateFunction {
  create(): unknown;
  /** `input`: which input of a window join the record came from. */
  add(acc: unknown, record: unknown, input?: string): unknown;
  merge(a: unknown, b: unknown): unknown;
  result(acc: unknown): unknown;
}

const guarded =
  (node: NodeSpec, fn: UserFunction): UserFunction =>
  (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      throw new UserFunctionError(node.id, err);
    }
  };

function numberOf(node: NodeSpec, record: unknown): number {
  const name = node.field!;
  const v = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'number')
    throw new UserFunctionError(node.id, new TypeError(`field "${name}" of ${JSON.stringify(record)} is not a number`));
  return v;
}

/** Combine two accumulators where either may be the empty `null`. */
const nullable = (f: (a: number, b: number) => number) => (a: unknown, b: unknown) =>
  a === null ? b : b === null ? a : f(a as number, b as number);

/**
 * A window join collects each input's records of the window; its result is every pair of a record of
 * the first input with one of the second, each as `{<first input>: record, <second input>: record}`.
 */
function joinAggregate(node: NodeSpec): AggregateFunction {
  const [first, second] = node.inputs;
  type Sides = [unknown[], unknown[]];
  return {
    create: () => [[], []],
    add: (acc, record, input) => {
      (acc as Sides)[input === first ? 0 : 1].push(record);
      return acc;
    },
    merge: (a, b) => [
      [...(a as Sides)[0], ...(b as Sides)[0]],
      [...(a as Sides)[1], ...(b as Sides)[1]],
    ],
    // Each pair has copies of its records, as a record is in several pairs (Flink: object reuse off).
    result: (acc) =>
      (acc as Sides)[0].flatMap((l) =>
        (acc as Sides)[1].map((r) => ({ [first]: copyRecord(l), [second]: copyRecord(r) })),
      ),
  };
}

export function createAggregate(node: NodeSpec, fns: FunctionRegistry): AggregateFunction {
  if (node.type === 'windowJoin') return joinAggregate(node);
  const num = (r: unknown) => numberOf(node, r);
  switch (node.aggregate) {
    case 'count':
      return {
        create: () => 0,
        add: (n) => (n as number) + 1,
        merge: (a, b) => (a as number) + (b as number),
        result: (n) => n,
      };
    case 'sum':
      return {
        create: () => 0,
        add: (s, r) => (s as number) + num(r),
        merge: (a, b) => (a as number) + (b as number),
        result: (s) => s,
      };
    case 'min':
    case 'max': {
      const pick = nullable(node.aggregate === 'min' ? Math.min : Math.max);
      return { create: () => null, add: (m, r) => pick(m, num(r)), merge: pick, result: (m) => m };
    }
    case 'avg':
      return {
        create: () => [0, 0],
        add: (acc, r) => [(acc as number[])[0] + num(r), (acc as number[])[1] + 1],
        merge: (a, b) => [(a as number[])[0] + (b as number[])[0], (a as number[])[1] + (b as number[])[1]],
        result: (acc) => (acc as number[])[0] / (acc as number[])[1],
      };
    case 'reduce': {
      const fn = guarded(node, fns.resolve(node.fn!));
      // `null` stands for "no record yet": msgpack keeps null, not undefined, in checkpoints. A reduce
      // function may change its first argument: a window's accumulator is its own copy of its first
      // record (a sliding window's record is in several windows), and a result is a copy, since a late
      // record can fire the window again. One that returns nothing would empty the window: it fails.
      const reduced = (a: unknown, b: unknown) => {
        const r = fn(a, b);
        if (r === undefined || r === null) {
          throw new UserFunctionError(
            node.id,
            new TypeError(`reduce function "${node.fn}" returned ${r}; it must return the combined record`),
          );
        }
        return r;
      };
      const combine = (a: unknown, b: unknown) => (a === null ? copyRecord(b) : b === null ? a : reduced(a, b));
      return { create: () => null, add: combine, merge: combine, result: copyRecord };
    }
    case 'custom': {
      const user = fns.exported(node.fn!) as Partial<Record<keyof AggregateFunction, UserFunction>> | undefined;
      const missing = (['create', 'add', 'merge', 'result'] as const).filter((m) => typeof user?.[m] !== 'function');
      if (missing.length > 0) {
        throw new UserFunctionError(
          node.id,
          new TypeError(
            `"${node.fn}" must be an object with create/add/merge/result functions (missing ${missing.join(', ')})`,
          ),
        );
      }
      const u = user as Record<keyof AggregateFunction, UserFunction>;
      // A JavaScript `add` that changes its accumulator and forgets to return it would leave undefined
      // in its place (and nothing in a checkpoint): each step must return a value.
      const returning = (m: keyof AggregateFunction, what: string): UserFunction => {
        const f = guarded(node, u[m]);
        return (...args) => {
          const r = f(...args);
          if (r === undefined)
            throw new UserFunctionError(node.id, new TypeError(`"${node.fn}".${m} returned undefined${what}`));
          return r;
        };
      };
      const acc = '; an accumulator must be returned';
      const result = returning('result', '');
      // A copy: a result may be (or hold) the accumulator, which a late record changes after the emit.
      return {
        create: returning('create', acc),
        add: returning('add', acc),
        merge: returning('merge', acc),
        result: (a) => copyRecord(result(a)),
      };
    }
    default:
      throw new Error(`no aggregate "${String(node.aggregate)}"`);
  }
}
