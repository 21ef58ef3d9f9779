/**
 * Restoring a savepoint at any parallelism (up to maxParallelism): one new subtask's state, cut from
 * the snapshots of the old subtasks, the way Flink redistributes state:
 *
 * - keyed state and timers: the key groups of the new subtask's KeyGroupRange, from whichever old
 *   subtasks held them (timers are keyed: they go with their key groups); an operator's watermark
 *   is the lowest of the old ones, so nothing is wrongly late;
 * - source splits (file ranges, generator sequences) and operator lists (asyncMap queues, sink
 *   state): old subtask j's go to new subtask j mod p (Flink's round-robin of split state); an
 *   asyncMap queue keeps its watermarks only at the same parallelism;
 * - Kafka offsets: the union of all old positions; the new subtask keeps the partitions it owns.
 *
 * At the same parallelism each subtask gets exactly its own old state back.
 */
import type { Connector } from '../../common/jobfile';
import type { AsyncElement, TaskSnapshot } from '../../common/protocol/snapshot';
import { unionKafkaPositions } from '../connectors/kafka/kafka-source';
import { keyGroupRange } from '../../common/key-groups';
import type { KeyedStateSnapshot } from '../state/keyed-state';
import type { TimerSnapshot } from '../time/timer-service';

/** What a task restores: a snapshot whose sink state may come from several old subtasks. */
export type RestoredState = Omit<TaskSnapshot, 'version' | 'sink'> & { sinks: { uid: string; state: unknown }[] };

export interface Prior {
  subtask: number;
  parallelism: number;
  snapshot: TaskSnapshot;
}

export interface RescaleTarget {
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  /** The source connector of the new task's vertex, if it is a source. */
  source?: Connector;
}

const isTimers = (s: unknown): s is TimerSnapshot =>
  typeof s === 'object' &&
  s !== null &&
  Array.isArray((s as TimerSnapshot).event) &&
  Array.isArray((s as TimerSnapshot).processing);
const isTimestamps = (s: unknown): s is { maxTimestamps: [string, number][] } =>
  typeof s === 'object' && s !== null && Array.isArray((s as { maxTimestamps?: unknown }).maxTimestamps);

/** A single snapshot restored as it is (a checkpoint at the same parallelism). */
export function asRestored(s: TaskSnapshot): RestoredState {
  const { version: _, sink, ...rest } = s;
  return { ...rest, sinks: sink ? [sink] : [] };
}

export function rescale(priors: Prior[], target: RescaleTarget): RestoredState {
  const { start, end } = keyGroupRange(target.maxParallelism, target.parallelism, target.subtask);
  const inRange = ([kg]: [number, unknown]) => kg >= start && kg <= end;
  const assigned = (p: Prior) => p.subtask % target.parallelism === target.subtask;
  const out: RestoredState = { keyed: {}, sinks: [] };

  for (const { snapshot } of priors) {
    for (const [uid, groups] of Object.entries(snapshot.keyed)) {
      (out.keyed[uid] ??= []).push(...(groups.filter(inRange) as KeyedStateSnapshot<unknown>));
    }
  }

  const operators: Record<string, unknown> = {};
  for (const { snapshot } of priors) {
    for (const [uid, s] of Object.entries(snapshot.operators ?? {})) {
      const have = operators[uid];
      if (isTimers(s)) {
        const mine: TimerSnapshot = {
          watermark: s.watermark,
          event: s.event.filter(inRange),
          processing: s.processing.filter(inRange),
        };
        if (!isTimers(have)) operators[uid] = mine;
        else
          operators[uid] = {
            watermark: Math.min(have.watermark, s.watermark),
            event: [...have.event, ...mine.event],
            processing: [...have.processing, ...mine.processing],
          };
      } else if (isTimestamps(s)) {
        // Per split (Kafka partition) the highest timestamp seen: whichever subtask reads it next starts from there.
        const merged = new Map(isTimestamps(have) ? have.maxTimestamps : []);
        for (const [split, ts] of s.maxTimestamps) merged.set(split, Math.max(merged.get(split) ?? -Infinity, ts));
        operators[uid] = { maxTimestamps: [...merged] };
      } else if (have === undefined) operators[uid] = s;
    }
  }
  if (Object.keys(operators).length > 0) out.operators = operators;

  // A queued watermark is the old subtask's, held for its inputs; a new subtask at another
  // parallelism reads other inputs, so only the records go over and upstream sends watermarks again.
  const sameInputs = priors.every((p) => p.parallelism === target.parallelism);
  const async: Record<string, AsyncElement[]> = {};
  for (const p of priors.filter(assigned)) {
    for (const [uid, queue] of Object.entries(p.snapshot.async ?? {}))
      (async[uid] ??= []).push(...queue.filter((e) => sameInputs || e.kind === 'record'));
  }
  if (Object.keys(async).length > 0) out.async = async;

  for (const p of priors.filter(assigned)) if (p.snapshot.sink) out.sinks.push(p.snapshot.sink);

  const sources = priors.filter((p) => p.snapshot.source);
  if (sources.length > 0 && target.source) {
    const uid = sources[0].snapshot.source!.uid;
    const positions = (list: Prior[]) => list.map((p) => p.snapshot.source!.position);
    const position =
      target.source.kind === 'kafka'
        ? unionKafkaPositions(positions(sources))
        : {
            splits: positions(sources.filter(assigned)).flatMap((pos) => (pos as { splits?: unknown[] }).splits ?? []),
          };
    out.source = { uid, position };
  }
  return out;
}
