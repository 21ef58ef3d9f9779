/**
 * Transformations: the logical graph the DataStream API records (as Flink's `Transformation`s), and
 * its translation into job-file nodes. The API has no runtime of its own: what it builds is a job
 * spec like any job file, which then goes through the same validation and compiler.
 *
 * User functions are closures, so they cannot travel in the spec. Each gets an id: the id of its node.
 * Ids are deterministic (a `uid`, else the name or type, made unique in creation order), so the
 * TaskManager, evaluating the same job bundle, rebuilds the same graph and finds each closure by the
 * id the spec names.
 */
import type { z } from 'zod';
import type { JobSpecSchema, NodeSpecSchema, RestartInput } from '../jobfile';

export type JobSpecInput = z.input<typeof JobSpecSchema>;
export type NodeSpecInput = z.input<typeof NodeSpecSchema>;
export type ConnectorInput = NonNullable<NodeSpecInput['connector']>;
export type NodeType = NodeSpecInput['type'];
export type Partition = NonNullable<NodeSpecInput['partition']>;
export type AsyncOptions = NonNullable<NodeSpecInput['async']>;
export type TimestampsInput = NonNullable<NodeSpecInput['timestamps']>;
export type WindowInput = NonNullable<NodeSpecInput['window']>;
export type AggregateKind = NonNullable<NodeSpecInput['aggregate']>;
/** A duration as a job file writes it: ms, or a string with a unit ("30s"). */
export type Duration = NonNullable<NodeSpecInput['allowedLateness']>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;
/** What a node's `fn` names: a function, or an object of them (process functions, aggregates). */
export type UserCode = AnyFunction | Readonly<Record<string, AnyFunction>>;

export interface Transformation {
  readonly type: NodeType;
  readonly inputs: readonly Transformation[];
  readonly connector?: ConnectorInput;
  readonly fn?: UserCode;
  readonly keyBy?: string;
  readonly field?: string;
  readonly async?: AsyncOptions;
  readonly window?: WindowInput;
  readonly time?: 'processing';
  readonly aggregate?: AggregateKind;
  readonly allowedLateness?: Duration;
  /** Which output of the input this node reads: a window's `late` side output, else the main one. */
  readonly inputTag?: string;
  /** Event time of the records leaving this node (`assignTimestampsAndWatermarks`). */
  timestamps?: TimestampsInput;
  /** The edge into this node, from `rebalance()` / `broadcast()` / `forward()` on its input. */
  readonly partition?: Partition;
  name?: string;
  uid?: string;
  parallelism?: number;
  /** Takes this node's parallelism when it has none of its own, so the two chain. */
  readonly parallelismFrom?: Transformation;
  /** A node the API adds for another one (a key selector's maps); its id is derived from that one's. */
  readonly helperOf?: { main: Transformation; role: string };
}

export interface BuiltJob {
  spec: JobSpecInput;
  /** User functions by the id their node's `fn` names. */
  functions: Map<string, UserCode>;
}

export interface JobSettings {
  name: string;
  parallelism?: number;
  maxParallelism?: number;
  checkpointing?: JobSpecInput['checkpointing'];
  restart?: RestartInput;
  miniBatch?: JobSpecInput['miniBatch'];
}

const ID_CHARS = /[^A-Za-z0-9_.-]+/g;

function resolvedParallelism(t: Transformation): number | undefined {
  return t.parallelism ?? (t.parallelismFrom && resolvedParallelism(t.parallelismFrom));
}

/** Job-file nodes for `transformations` (in creation order, so inputs come first). */
export function translate(settings: JobSettings, transformations: readonly Transformation[]): BuiltJob {
  const ids = new Map<Transformation, string>();
  const taken = new Set<string>();
  // uids are the user's: they keep their exact value; duplicates are left to the job validation.
  for (const t of transformations) if (t.uid !== undefined) taken.add(t.uid);
  const assign = (t: Transformation, base: string) => {
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    ids.set(t, id);
  };
  for (const t of transformations) {
    if (t.uid !== undefined) ids.set(t, t.uid);
    else if (!t.helperOf) assign(t, (t.name ?? t.type).replace(ID_CHARS, '-').replace(/^-+|-+$/g, '') || t.type);
  }
  for (const t of transformations) if (t.helperOf) assign(t, `${ids.get(t.helperOf.main)}-${t.helperOf.role}`);

  const functions = new Map<string, UserCode>();
  const nodes = transformations.map((t): NodeSpecInput => {
    const id = ids.get(t)!;
    if (t.fn) functions.set(id, t.fn);
    const parallelism = resolvedParallelism(t);
    return {
      id,
      type: t.type,
      ...(t.name !== undefined && t.name !== id && { name: t.name }),
      ...(t.inputs.length > 0 && { inputs: t.inputs.map((i) => ids.get(i)! + (t.inputTag ? `.${t.inputTag}` : '')) }),
      ...(t.connector && { connector: t.connector }),
      ...(t.fn && { fn: id }),
      ...(t.keyBy !== undefined && { keyBy: t.keyBy }),
      ...(t.field !== undefined && { field: t.field }),
      ...(parallelism !== undefined && { parallelism }),
      ...(t.partition && { partition: t.partition }),
      ...(t.async && { async: t.async }),
      ...(t.timestamps && { timestamps: t.timestamps }),
      ...(t.window && { window: t.window }),
      ...(t.time && { time: t.time }),
      ...(t.aggregate && { aggregate: t.aggregate }),
      ...(t.allowedLateness !== undefined && { allowedLateness: t.allowedLateness }),
    };
  });
  const spec: JobSpecInput = {
    name: settings.name,
    ...(settings.parallelism !== undefined && { parallelism: settings.parallelism }),
    ...(settings.maxParallelism !== undefined && { maxParallelism: settings.maxParallelism }),
    ...(settings.checkpointing && { checkpointing: settings.checkpointing }),
    ...(settings.restart && { restart: settings.restart }),
    ...(settings.miniBatch && { miniBatch: settings.miniBatch }),
    nodes,
  };
  return { spec, functions };
}
