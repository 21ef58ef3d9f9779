/**
 * Splits and offsets of a Kafka source subtask: which partitions it owns, where each starts, and
 * committing its offsets to the user's group. See kafka-source.ts for the semantics.
 */
import { ConnectorError } from '../../../common/errors';
import type { KafkaConnector } from '../../../common/connectors/kafka';
import { Logger } from '../../../common/log';
import { reason } from './client-settings';
import type { KafkaClient } from './kafka-client';

const log = new Logger('kafka-source');

/** Offsets kept for checkpoints not yet completed (older ones are dropped). */
const MAX_PENDING_COMMITS = 32;

/**
 * Split assignment by the runtime, not by consumer-group rebalancing: partition p belongs to
 * source subtask p % parallelism, on every run and after every restart.
 */
export function ownsPartition(partition: number, subtask: number, parallelism: number): boolean {
  return partition % parallelism === subtask;
}

/** Where each partition starts and (for bounded sources) where it currently ends. */
export interface StartOffsets {
  start(partition: number): number;
  high(partition: number): number;
}

/**
 * Start offsets: the restored ones (earliest for partitions not in them), else by `startFrom`.
 * `restoredCreatedAt` is set when the restored checkpoint was taken before the first read: then
 * "latest" means the end as of when that attempt began.
 */
export async function startOffsets(
  client: KafkaClient,
  c: KafkaConnector,
  restored: Map<number, number> | undefined,
  restoredCreatedAt: number | undefined,
): Promise<StartOffsets> {
  const offsets = await client.offsets(c.topic);
  const low = (p: number) => offsets.get(p)?.low ?? 0;
  const high = (p: number) => offsets.get(p)?.high ?? 0;
  if (restored) return { start: (p) => restored.get(p) ?? low(p), high };
  if (c.startFrom === 'latest' && restoredCreatedAt !== undefined) {
    const at = await client.offsetsAt(c.topic, restoredCreatedAt);
    return { start: (p) => at.get(p) ?? high(p), high };
  }
  if (c.startFrom === 'latest') return { start: high, high };
  if (c.startFrom === 'committed') {
    if (!c.groupId) throw new ConnectorError(`Kafka topic "${c.topic}": startFrom "committed" needs a groupId`);
    const committed = await client.committed(c.groupId, c.topic);
    return { start: (p) => committed.get(p) ?? low(p), high };
  }
  return { start: low, high };
}

/**
 * Commits a subtask's offsets to `groupId` when a checkpoint completes and at the end of input,
 * for lag tools and a later `startFrom: committed` only: a failure is logged, never fails the job.
 * Commits run one at a time and never move a partition's committed offset backwards (a late
 * commit of an older checkpoint after the end of input must not undo the final one).
 */
export class GroupOffsetCommitter {
  private readonly pending = new Map<number, Map<number, number>>();
  private committing: Promise<void> = Promise.resolve();
  /** Offsets this subtask committed to the group. */
  private readonly committed = new Map<number, number>();
  private finalDone = false;
  private closed = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
    private readonly groupId: string,
  ) {}

  /** The offsets checkpoint n holds, to be committed when n completes. */
  record(checkpointId: number, offsets: Map<number, number>): void {
    this.pending.set(checkpointId, offsets);
    for (const id of this.pending.keys()) {
      if (this.pending.size <= MAX_PENDING_COMMITS) break;
      this.pending.delete(id);
    }
  }

  /** Checkpoint n completed: commit the offsets recorded for it. */
  async checkpointCompleted(checkpointId: number): Promise<void> {
    const offsets = this.pending.get(checkpointId);
    for (const id of [...this.pending.keys()]) if (id <= checkpointId) this.pending.delete(id);
    if (offsets) await this.commit(offsets, `checkpoint ${checkpointId}`);
  }

  /** The end of input: commit where every partition ended (once). */
  async endOfInput(offsets: Map<number, number>): Promise<void> {
    if (this.finalDone) return;
    this.finalDone = true;
    await this.commit(offsets, 'end of input');
  }

  private async commit(offsets: Map<number, number>, why: string): Promise<void> {
    if (this.closed) return;
    this.committing = this.committing.then(async () => {
      const advanced = new Map([...offsets].filter(([p, o]) => o > (this.committed.get(p) ?? -1)));
      if (this.closed || advanced.size === 0) return;
      try {
        await this.client.commitOffsets(this.groupId, this.topic, advanced);
        for (const [p, o] of advanced) this.committed.set(p, o);
      } catch (err) {
        log.warn(`cannot commit offsets (${why})`, { topic: this.topic, groupId: this.groupId, error: reason(err) });
      }
    });
    await this.committing;
  }

  /** Stops committing; resolves when a commit under way is done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.committing;
  }
}
