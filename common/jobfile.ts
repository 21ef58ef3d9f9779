/**
 * The job file: its schema (zod) and the graph checks a valid shape must still pass. A job file that
 * cannot run is refused before anything is deployed, with every problem named by its path in the file.
 */
import { readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { z } from 'zod';
import { durationSchema } from './duration';
import { JobFileError, type Problem } from './errors';
import { resolveInput, timeProblems } from './jobfile-time';
import { seedDagJob } from './seed-dag';
import { parseYaml, YamlError } from './yaml';

export { keyField, LATE_OUTPUT, resolveInput, resultField } from './jobfile-time';

/** A "did you mean" for the closest candidate within a small edit distance (typos like `keyby`, `lnes`). */
function hint(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    // d < length: a one-letter word is "close" to every other one-letter word
    if (d < bestDist && d < word.length) [best, bestDist] = [c, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** A strict object whose unknown-key message knows the allowed keys, so it can suggest the right one. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      if (iss.keys.length === 1) return `unknown key${hint(iss.keys[0], known)}`;
      return `unknown keys ${iss.keys.map((k) => `"${k}"${hint(k, known)}`).join(', ')}`;
    },
  });
}

const nonEmpty = z.string().min(1);
const int = z.number().int();

export const GeneratorConnectorSchema = strict({
  kind: z.literal('generator'),
  count: int.min(0).optional(),
  rate: z.number().positive().optional(),
  seed: int.default(0),
  format: z.enum(['text', 'sequence']).default('text'),
  wordsPerLine: int.min(1).max(1000).default(8),
  vocabulary: int.min(1).default(1000),
});
/** Nexmark's persons, auctions and bids (taskmanager/connectors/nexmark); event n is a function of (seed, n). */
export const NexmarkConnectorSchema = strict({
  kind: z.literal('nexmark'),
  count: int.min(0).optional(),
  rate: z.number().positive().optional(),
  seed: int.default(0),
  /** Event time advances 1/eventsPerSecond per event (Nexmark's first-event.rate, 10000 by default). */
  eventsPerSecond: int.min(1).default(10000),
  /** Event time of event 0, epoch ms: fixed (Nexmark takes the wall clock) so that runs are repeatable. */
  baseTime: int.min(0).default(Date.UTC(2026, 0, 1)),
});
export const FileConnectorSchema = strict({ kind: z.literal('file'), path: nonEmpty });
export const StdoutConnectorSchema = strict({ kind: z.literal('stdout') });
/** Drops every record (Flink's DiscardingSink, Nexmark's blackhole). */
export const DiscardConnectorSchema = strict({ kind: z.literal('discard') });
export const KafkaConnectorSchema = strict({
  kind: z.literal('kafka'),
  brokers: z.array(nonEmpty).min(1),
  topic: nonEmpty,
  startFrom: z.enum(['earliest', 'latest', 'committed']).default('earliest'),
  format: z.enum(['string', 'json']).default('string'),
  bounded: z.boolean().default(false),
  groupId: nonEmpty.optional(),
  key: nonEmpty.optional(),
});
export const ConnectorSchema = z.discriminatedUnion('kind', [
  GeneratorConnectorSchema, FileConnectorSchema, StdoutConnectorSchema, KafkaConnectorSchema,
  NexmarkConnectorSchema, DiscardConnectorSchema,
]);

export const NodeTypeSchema = z.enum(['source', 'map', 'flatMap', 'filter', 'asyncMap', 'sum', 'count', 'min', 'max', 'reduce', 'window', 'process', 'windowJoin', 'intervalJoin', 'sink']);

/** Event time of the records leaving a node, and the bounded-out-of-orderness watermarks it generates. */
export const TimestampsSchema = strict({
  /** A field of the record holds the time, or (Kafka sources) `from: "kafka"` takes the record timestamp. */
  field: nonEmpty.optional(),
  from: z.literal('kafka').optional(),
  unit: z.enum(['ms', 's', 'iso']).default('ms'),
  maxOutOfOrderness: durationSchema().default(0),
  idleTimeout: durationSchema({ min: 1 }).optional(),
});

export const WindowSchema = z.discriminatedUnion('kind', [
  strict({ kind: z.literal('tumbling'), size: durationSchema({ min: 1 }), offset: durationSchema().default(0) }),
  strict({ kind: z.literal('sliding'), size: durationSchema({ min: 1 }), slide: durationSchema({ min: 1 }) }),
  strict({ kind: z.literal('session'), gap: durationSchema({ min: 1 }) }),
]);

export const AggregateSchema = z.enum(['count', 'sum', 'min', 'max', 'avg', 'reduce', 'custom']);
/** Flink's AsyncDataStream: at most `capacity` calls in flight per subtask (Flink's default 100). */
export const AsyncSchema = strict({
  capacity: int.min(1).default(100),
  timeout: int.positive(),
  ordered: z.boolean().default(true),
  /** "fail" fails the task (Flink's default); "drop" emits nothing for that record. */
  onTimeout: z.enum(['fail', 'drop']).default('fail'),
});

export const NodeSpecSchema = strict({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"'),
  type: NodeTypeSchema,
  /** Display name (plans, dashboard, status); `id` identifies the node and its state. */
  name: nonEmpty.optional(),
  inputs: z.array(z.string()).default([]),
  connector: ConnectorSchema.optional(),
  fn: nonEmpty.optional(),
  /** Settings handed to `fn` as its second argument (built-ins `regexp` and `tableRow` need them). */
  args: z.record(z.string(), z.unknown()).optional(),
  /** The key field; a join may name one per input: `{"orders": "user", "clicks": "uid"}`. */
  keyBy: z.union([nonEmpty, z.record(z.string(), nonEmpty)]).optional(),
  field: nonEmpty.optional(),
  parallelism: int.min(1).optional(),
  partition: z.enum(['forward', 'rebalance', 'broadcast']).optional(),
  async: AsyncSchema.optional(),
  timestamps: TimestampsSchema.optional(),
  window: WindowSchema.optional(),
  aggregate: AggregateSchema.optional(),
  time: z.enum(['event', 'processing']).optional(),
  allowedLateness: durationSchema().optional(),
  /** intervalJoin: a record of the second input joins one of the first when its time is within these bounds of it. */
  between: z.tuple([durationSchema({ signed: true }), durationSchema({ signed: true })]).optional(),
});

export const CheckpointingSchema = strict({
  interval: durationSchema({ min: 10 }),
  mode: z.enum(['exactly-once', 'at-least-once']).default('at-least-once'),
  timeout: durationSchema({ min: 1 }).default(60000),
  storage: nonEmpty.optional(),
});

/**
 * Flink's restart strategies (`restart-strategy.<name>.*`), durations in ms or with a unit ("30s"); the defaults are Flink
 * 1.20's. Without a `restart` block a job with checkpointing gets `exponential-delay`, one without
 * gets `none` (jobmanager/failover/restart-strategy.ts). `{attempts, delay}` without a `strategy` is
 * the older form of `fixed-delay`.
 */
export const RestartStrategySchema = z.discriminatedUnion('strategy', [
    strict({ strategy: z.literal('none') }),
    strict({ strategy: z.literal('fixed-delay'), attempts: int.min(0).default(1), delay: durationSchema().default(1000) }),
    strict({
      strategy: z.literal('failure-rate'),
      maxFailuresPerInterval: int.min(1).default(1),
      failureRateInterval: durationSchema({ min: 1 }).default(60_000),
      delay: durationSchema().default(1000),
    }),
    strict({
      strategy: z.literal('exponential-delay'),
      initialBackoff: durationSchema({ min: 1 }).default(1000),
      maxBackoff: durationSchema({ min: 1 }).default(60_000),
      backoffMultiplier: z.number().gt(1).default(1.5),
      resetBackoffThreshold: durationSchema({ min: 1 }).default(3_600_000),
      jitterFactor: z.number().min(0).max(1).default(0.1),
      /** Absent: unlimited. */
      attemptsBeforeResetBackoff: int.min(1).optional(),
    }).refine((r) => r.initialBackoff <= r.maxBackoff, { path: ['maxBackoff'], message: 'must be >= initialBackoff' }),
]);
export const RestartSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('strategy' in v) ? { strategy: 'fixed-delay', ...v } : v),
  RestartStrategySchema,
);
/** What a job may write under `restart`: a strategy, or the older `{attempts, delay}` (fixed delay). */
export type RestartInput = z.input<typeof RestartStrategySchema> | { attempts?: number; delay?: number };

export const JobSpecSchema = strict({
  name: nonEmpty,
  parallelism: int.min(1).default(1),
  maxParallelism: int.min(1).max(32768).default(128),
  functions: nonEmpty.optional(),
  checkpointing: CheckpointingSchema.optional(),
  restart: RestartSchema.optional(),
  nodes: z.array(NodeSpecSchema).min(1),
});

export type GeneratorConnector = z.infer<typeof GeneratorConnectorSchema>;
export type FileConnector = z.infer<typeof FileConnectorSchema>;
export type StdoutConnector = z.infer<typeof StdoutConnectorSchema>;
export type NexmarkConnector = z.infer<typeof NexmarkConnectorSchema>;
export type KafkaConnector = z.infer<typeof KafkaConnectorSchema>;
export type Connector = z.infer<typeof ConnectorSchema>;
export type NodeType = z.infer<typeof NodeTypeSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type AsyncSpec = z.infer<typeof AsyncSchema>;
export type TimestampsSpec = z.infer<typeof TimestampsSchema>;
export type WindowSpec = z.infer<typeof WindowSchema>;
export type Aggregate = z.infer<typeof AggregateSchema>;
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type RestartSpec = z.infer<typeof RestartSchema>;

const SOURCE_ONLY: ReadonlySet<Connector['kind']> = new Set(['generator', 'nexmark']);
const SINK_ONLY: ReadonlySet<Connector['kind']> = new Set(['stdout', 'discard']);
const KEYED: ReadonlySet<NodeType> = new Set(['sum', 'count', 'min', 'max', 'reduce', 'window', 'process', 'windowJoin', 'intervalJoin']);
const NEEDS_FN: ReadonlySet<NodeType> = new Set(['map', 'flatMap', 'filter', 'asyncMap', 'reduce', 'process']);
const NEEDS_FIELD: ReadonlySet<NodeType> = new Set(['sum', 'min', 'max']);

/** Joins have two inputs and tell records apart by the input they came from. */
export function isJoinType(type: NodeType): boolean {
  return type === 'windowJoin' || type === 'intervalJoin';
}

/** Keyed nodes read a hash shuffle on `keyBy` and keep per-key state. */
export function isKeyedType(type: NodeType): boolean {
  return KEYED.has(type);
}

function renderPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = String(seg);
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** Plainer wording than zod's defaults for the issues a person writing a job file actually hits. */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === 'invalid_type' && iss.input === undefined) return 'required';
  if (iss.code === 'invalid_type') {
    const what = iss.expected === 'int' ? 'integer' : iss.expected;
    return `must be ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`;
  }
  const oneOf = (values: readonly unknown[]) => `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (iss.code === 'invalid_value') {
    return `${oneOf(iss.values)}${typeof iss.input === 'string' ? hint(iss.input, iss.values.map(String)) : ''}`;
  }
  if (iss.code === 'invalid_union' && 'options' in iss && Array.isArray(iss.options)) {
    const got = (iss.input as Record<string, unknown> | undefined)?.[String(iss.discriminator)];
    if (got === undefined) return `required, ${oneOf(iss.options)}`;
    return `${oneOf(iss.options)}${typeof got === 'string' ? hint(got, iss.options.map(String)) : ''}`;
  }
  if (iss.code === 'too_small' || iss.code === 'too_big') {
    const bound = Number(iss.code === 'too_small' ? iss.minimum : iss.maximum);
    const small = iss.code === 'too_small';
    if (iss.origin === 'string' && small && bound === 1) return 'must not be empty';
    if (iss.origin === 'array') return `needs ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
    if (iss.origin === 'number') return `must be ${small ? '>' : '<'}${iss.inclusive ? '=' : ''} ${bound}`;
  }
  return undefined;
}

function shapeProblems(error: z.ZodError): Problem[] {
  return error.issues.map((iss) => {
    const path = iss.code === 'unrecognized_keys' && iss.keys.length === 1 ? [...iss.path, iss.keys[0]] : iss.path;
    return { path: renderPath(path), message: iss.message };
  });
}

/** Checks a well-shaped job cannot express in its schema: references, required fields per type, cycles. */
function graphProblems(job: JobSpec): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const index = new Map<string, number>();
  job.nodes.forEach((n, i) => {
    const first = index.get(n.id);
    if (first === undefined) index.set(n.id, i);
    else add(`nodes[${i}].id`, `duplicate id "${n.id}" (also nodes[${first}])`);
  });
  const parallelismOf = (n: NodeSpec) => n.parallelism ?? job.parallelism;

  if (job.parallelism > job.maxParallelism) {
    add('parallelism', `${job.parallelism} exceeds maxParallelism ${job.maxParallelism}`);
  }
  job.nodes.forEach((n, i) => {
    const at = (field: string) => `nodes[${i}].${field}`;
    const keyed = KEYED.has(n.type);
    n.inputs.forEach((input, j) => {
      const { node, sideOutput } = resolveInput(input, index);
      if (!index.has(node)) add(at(`inputs[${j}]`), `unknown node "${input}"${hint(input, index.keys())}`);
      else if (sideOutput && job.nodes[index.get(node)!].type !== 'window') {
        add(at(`inputs[${j}]`), `"${node}" is not a window, so it has no "${sideOutput}" output`);
      } else if (n.inputs.indexOf(input) !== j) add(at(`inputs[${j}]`), `"${input}" is already an input`);
    });

    if (n.type === 'source') {
      if (n.inputs.length > 0) add(at('inputs'), 'a source has no inputs');
      if (!n.connector) add(at('connector'), 'required for type "source"');
      else if (SINK_ONLY.has(n.connector.kind)) add(at('connector.kind'), `"${n.connector.kind}" can only be a sink`);
      if (n.partition) add(at('partition'), 'a source has no inputs to partition');
    } else {
      if (n.inputs.length === 0) add(at('inputs'), `type "${n.type}" needs at least one input`);
      if (n.type === 'sink') {
        if (!n.connector) add(at('connector'), 'required for type "sink"');
        else if (SOURCE_ONLY.has(n.connector.kind)) add(at('connector.kind'), `"${n.connector.kind}" can only be a source`);
      } else if (n.connector) {
        add(at('connector'), `not allowed for type "${n.type}" (only sources and sinks have connectors)`);
      }
    }

    if (NEEDS_FN.has(n.type) && !n.fn) add(at('fn'), `required for type "${n.type}"`);
    if (NEEDS_FIELD.has(n.type) && !n.field) add(at('field'), `required for type "${n.type}"`);
    if (n.type === 'asyncMap' && !n.async) add(at('async'), 'required for type "asyncMap" (at least {"timeout": <ms>})');
    if (n.type !== 'asyncMap' && n.async) add(at('async'), `not allowed for type "${n.type}" (only asyncMap)`);
    problems.push(...timeProblems(job, i, index));
    if (keyed && !n.keyBy) add(at('keyBy'), `required for type "${n.type}"`);
    if (!keyed && n.keyBy) add(at('keyBy'), `not allowed for type "${n.type}" (only ${[...KEYED].join('/')} are keyed)`);

    if (n.parallelism !== undefined && n.parallelism > job.maxParallelism) {
      add(at('parallelism'), `${n.parallelism} exceeds maxParallelism ${job.maxParallelism}`);
    }
    if (keyed && n.partition) {
      add(at('partition'), `not allowed for keyed type "${n.type}" (its input is hash-partitioned by keyBy)`);
    } else if (n.partition === 'forward') {
      for (const input of new Set(n.inputs)) {
        const from = index.get(resolveInput(input, index).node);
        if (from === undefined) continue;
        const [mine, theirs] = [parallelismOf(n), parallelismOf(job.nodes[from])];
        if (mine !== theirs) {
          add(at('partition'), `"forward" needs the parallelism of input "${input}" (${theirs}), this node has ${mine}`);
        }
      }
    }
  });

  if (!job.nodes.some((n) => n.type === 'sink')) add('nodes', 'the job has no sink; add a node of type "sink"');
  for (const cycle of findCycles(job.nodes, index)) {
    add(`nodes[${index.get(cycle[0])}].inputs`, `cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}`);
  }
  return problems;
}

/** Each distinct cycle once, as node ids in data-flow order. Duplicate ids resolve to their first node. */
function findCycles(nodes: NodeSpec[], index: Map<string, number>): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    state.set(id, 'active');
    stack.push(id);
    // walking inputs goes against the data flow, so a found cycle is reversed below
    for (const name of nodes[index.get(id) as number].inputs) {
      const input = resolveInput(name, index).node;
      if (!index.has(input)) continue;
      if (state.get(input) === 'active') {
        const cycle = stack.slice(stack.indexOf(input)).reverse();
        // start at the node listed first in the file, so the message reads in file order
        const first = cycle.reduce((a, b) => ((index.get(a) as number) <= (index.get(b) as number) ? a : b));
        cycle.push(...cycle.splice(0, cycle.indexOf(first)));
        const key = [...cycle].sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(input)) visit(input);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of index.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Validates a parsed job file; throws JobFileError naming every problem found. */
export function parseJobSpec(input: unknown, source?: string): JobSpec {
  const result = JobSpecSchema.safeParse(input, { error: issueMessage });
  if (!result.success) throw new JobFileError(shapeProblems(result.error), source);
  const problems = graphProblems(result.data);
  if (problems.length > 0) throw new JobFileError(problems, source);
  return result.data;
}

/**
 * Where JSON.parse failed, as an offset. Node 20 says "at position N" for most errors, but for an
 * unexpected token it only echoes the source around it (10 characters before it, 9 after, "..." where cut),
 * so the offset is recovered from that echo and kept only if the token is really there.
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  if (/end of JSON input/.test(message)) return text.length;
  const echo = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!echo) return undefined;
  const [, token, cutStart, context, cutEnd] = echo;
  let at: number;
  if (cutStart) at = text.indexOf(context) + 10;
  else if (cutEnd) at = context.length - 10;
  else at = text.indexOf(token) === text.lastIndexOf(token) ? text.indexOf(token) : -1;
  return at >= 0 && text[at] === token ? at : undefined;
}

function jsonSyntaxProblem(text: string, err: Error): Problem {
  const offset = jsonErrorOffset(text, err.message);
  // the echoed source is noise once the position is known
  const what = err.message.replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, '').replace(/ in JSON at position \d+.*$/, '');
  if (offset === undefined) return { path: '', message: `invalid JSON: ${what}` };
  const before = text.slice(0, offset).split('\n');
  return { path: '', message: `invalid JSON at line ${before.length}, column ${before[before.length - 1].length + 1}: ${what}` };
}

function parseYamlFile(text: string, path: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    if (err instanceof YamlError) throw new JobFileError([{ path: '', message: `invalid YAML at ${err.message}` }], path);
    throw err;
  }
}

/**
 * Reads, parses and validates a job file (JSON, or the seed engine's YAML DAG file: see seed-dag.ts), then makes its relative paths (functions module, checkpoint
 * storage, file connectors) absolute against the job file's directory, since the job may run elsewhere.
 */
export async function loadJobFile(path: string): Promise<JobSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };
    const why = reasons[code ?? ''] ?? (err as Error).message;
    throw new JobFileError([{ path: '', message: `cannot read the job file: ${why}` }], path);
  }
  text = text.replace(/^\uFEFF/, '');
  let json: unknown;
  if (/\.ya?ml$/i.test(path)) json = seedDagJob(parseYamlFile(text, path), nodePath.basename(path).replace(/\.ya?ml$/i, ''), path);
  else {
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new JobFileError([jsonSyntaxProblem(text, err as Error)], path);
    }
  }
  return resolveJobPaths(parseJobSpec(json, path), nodePath.dirname(nodePath.resolve(path)));
}

/** The job with its relative paths made absolute against `dir` (the job file's or job module's folder). */
export function resolveJobPaths(job: JobSpec, dir: string): JobSpec {
  const abs = (p: string) => nodePath.resolve(dir, p);
  return {
    ...job,
    ...(job.functions !== undefined && { functions: abs(job.functions) }),
    ...(job.checkpointing?.storage !== undefined && {
      checkpointing: { ...job.checkpointing, storage: abs(job.checkpointing.storage) },
    }),
    nodes: job.nodes.map((n) =>
      n.connector?.kind === 'file' ? { ...n, connector: { ...n.connector, path: abs(n.connector.path) } } : n,
    ),
  };
}
