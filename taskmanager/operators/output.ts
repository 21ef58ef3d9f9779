/**
 * What flows between the operators of a chain: records with their event time (if any), watermarks,
 * and the watermark status (idle/active). Each operator is the Output of the one before it.
 */
import type { MiniBatchSpec } from '../../common/jobfile';
import type { FunctionRegistry } from './functions';
import type { ProcessingTimeService } from '../time/timer-service';

export interface Output {
  /**
   * `input`: which input of a join the record came from, or which split (Kafka partition) of a source.
   * `keyGroup`: the key group of the record's key, at the head of a keyed vertex when the hash
   * partitioner sent it; keyed operators use it instead of hashing the key again.
   */
  push(record: unknown, timestamp?: number, input?: string, keyGroup?: number): void;
  watermark(watermark: number): void;
  /** Flink's WatermarkStatus: true when the stream goes idle, false when it is active again. */
  status(idle: boolean): void;
}

/** What the task gives the operators of its chain. */
export interface OperatorContext {
  fns: FunctionRegistry;
  maxParallelism: number;
  /** The job's mini-batch for keyed aggregations (./mini-batch.ts); absent: one update per record. */
  miniBatch?: MiniBatchSpec;
  time: ProcessingTimeService;
  /** A side output of the chain's last operator, e.g. a window's late records. */
  side(tag: string, record: unknown, timestamp?: number): void;
}

/** Operator state besides plain keyed values (timers, watermarks), in the task's snapshot by node id. */
export interface OperatorState {
  snapshot(): unknown;
  restore(state: unknown): void;
}
