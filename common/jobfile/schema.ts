/**
 * The job file's schema (zod). A job file that cannot run is refused before anything is deployed:
 * the shape here, the rest in graph-checks.ts. Each connector's options are in common/connectors/<kind>.ts
 * (pure zod, so the CLI checks them before anything runs; the connector imports them) and are
 * composed into one union here.
 */
import { z } from 'zod';
import { DiscardConnectorSchema } from '../connectors/discard';
import { FileConnectorSchema } from '../connectors/file';
import { GeneratorConnectorSchema } from '../connectors/generator';
import { KafkaConnectorSchema } from '../connectors/kafka';
import { NexmarkConnectorSchema } from '../connectors/nexmark';
import { StdoutConnectorSchema } from '../connectors/stdout';
import { DEFAULT_MAX_PARALLELISM, MAX_MAX_PARALLELISM } from '../key-groups';
import { durationSchema } from '../duration';
import { strict } from './messages';

const nonEmpty = z.string().min(1);
const int = z.number().int();

export const ConnectorSchema = z.discriminatedUnion('kind', [
  GeneratorConnectorSchema,
  FileConnectorSchema,
  StdoutConnectorSchema,
  KafkaConnectorSchema,
  NexmarkConnectorSchema,
  DiscardConnectorSchema,
]);

export const NodeTypeSchema = z.enum([
  'source',
  'map',
  'flatMap',
  'filter',
  'asyncMap',
  'sum',
  'count',
  'min',
  'max',
  'reduce',
  'window',
  'process',
  'windowJoin',
  'intervalJoin',
  'sink',
]);

/** Event time of the records leaving a node, and the bounded-out-of-orderness watermarks it generates. */
export const TimestampsSchema = strict({
  /** A field of the record holds the time, or (Kafka sources) `from: "kafka"` takes the record timestamp. */
  field: nonEmpty.optional(),
  from: z.literal('kafka').optional(),
  unit: z.enum(['ms', 's', 'iso']).default('ms'),
  maxOutOfOrderness: durationSchema().default(0),
  idleTimeout: durationSchema({ min: 1 }).optional(),
});

/** A window's `offset` shifts its starts, either way (Flink's, e.g. "-8h" for days in UTC+8); graph checks bound it. */
const offsetSchema = durationSchema({ signed: true }).default(0);

export const WindowSchema = z.discriminatedUnion('kind', [
  strict({ kind: z.literal('tumbling'), size: durationSchema({ min: 1 }), offset: offsetSchema }),
  strict({
    kind: z.literal('sliding'),
    size: durationSchema({ min: 1 }),
    slide: durationSchema({ min: 1 }),
    offset: offsetSchema,
  }),
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
  /** Display name (plans, dashboard, status); `id` identifies the node. */
  name: nonEmpty.optional(),
  /** Names the node's state in savepoints across versions of a job (Flink's uid); default: `id`. */
  uid: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"')
    .optional(),
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
  /** Flink's default (CheckpointingMode.EXACTLY_ONCE), as the DataStream API's enableCheckpointing. */
  mode: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'),
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
  strict({
    strategy: z.literal('fixed-delay'),
    attempts: int.min(0).default(1),
    delay: durationSchema().default(1000),
  }),
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
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !('strategy' in v)
      ? { strategy: 'fixed-delay', ...v }
      : v,
  RestartStrategySchema,
);
/** What a job may write under `restart`: a strategy, or the older `{attempts, delay}` (fixed delay). */
export type RestartInput = z.input<typeof RestartStrategySchema> | { attempts?: number; delay?: number };

/**
 * Flink SQL's mini-batch (`table.exec.mini-batch.allow-latency` and `.size`) for every keyed
 * aggregation of the job (sum, min, max, count, reduce): a subtask folds its input per key into a
 * bundle and emits one update per key when the bundle is `size` records old, `latency` has passed
 * since its first record, or a watermark, a checkpoint barrier or the end of input arrives. Fewer
 * changelog records, the same final values and the same guarantees. As in Flink, enabling it takes
 * both settings; without it every input record emits an update.
 */
export const MiniBatchSchema = strict({
  /** How long a record may wait in a bundle before its key's update is emitted. */
  latency: durationSchema({ min: 1 }),
  /** Input records per bundle. */
  size: int.min(1),
});

export const JobSpecSchema = strict({
  name: nonEmpty,
  parallelism: int.min(1).default(1),
  /** Key groups of keyed state: the bound for rescaling. @default 128 */
  maxParallelism: int.min(1).max(MAX_MAX_PARALLELISM).default(DEFAULT_MAX_PARALLELISM),
  functions: nonEmpty.optional(),
  checkpointing: CheckpointingSchema.optional(),
  restart: RestartSchema.optional(),
  miniBatch: MiniBatchSchema.optional(),
  nodes: z.array(NodeSpecSchema).min(1),
});

export type Connector = z.infer<typeof ConnectorSchema>;
export type NodeType = z.infer<typeof NodeTypeSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type AsyncSpec = z.infer<typeof AsyncSchema>;
export type TimestampsSpec = z.infer<typeof TimestampsSchema>;
export type WindowSpec = z.infer<typeof WindowSchema>;
export type Aggregate = z.infer<typeof AggregateSchema>;
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type MiniBatchSpec = z.infer<typeof MiniBatchSchema>;
export type RestartSpec = z.infer<typeof RestartSchema>;
