/**
 * Kafka source. Partitions are assigned by the runtime, not by consumer-group rebalancing:
 * partition p belongs to source subtask p % parallelism, on every run and after every restart
 * (source-offsets.ts has that rule, the start offsets and the commits to the group).
 *
 * - Offsets are operator state: `position()` is the next offset of every partition of this subtask
 *   (past the records already handed to the task), `restore()` continues from there. Without
 *   restored state `startFrom` picks the start: earliest, latest (the end when the task starts), or
 *   committed (the offsets committed to `groupId`, earliest where there are none). A partition that
 *   is not in the restored state (created after that checkpoint) starts at its earliest offset.
 * - Records are read with read_committed isolation; aborted records and transaction markers are
 *   skipped but still move the position.
 * - `bounded: true` reads up to the end offsets seen when the first attempt started (kept in the
 *   checkpointed position, so a restored attempt stops at the same offsets), then ends (read()
 *   gives null), so the job can FINISH. Unbounded sources pick up new partitions (metadata every 5 s).
 * - A full downstream pauses the fetching: at most about HIGH_WATER records are buffered
 *   (fetch-buffer.ts, which also moves the positions with the records handed out).
 * - When checkpoint n completes, the offsets recorded for n are committed to `groupId` (if set), and
 *   a bounded source commits its end offsets when it is done, for lag tools and for a later
 *   `startFrom: committed`. Correctness never depends on them: restores use the checkpoint.
 * - `format: string`: a record is the message value as UTF-8 text; `json`: the value parsed as
 *   JSON. A value that does not parse fails the task, naming topic, partition and offset. Messages
 *   with a null value (tombstones) carry no record and are skipped.
 */
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../../../common/errors';
import { Logger } from '../../../common/log';
import { reason } from './client-settings';
import { FetchBuffer } from './fetch-buffer';
import { KafkaClient } from './kafka-client';
import type { KafkaConnector } from '../../../common/connectors/kafka';
import type { FetchedBatch, KafkaRecord, PartitionFetcher } from './partition-fetcher';
import { GroupOffsetCommitter, ownsPartition, startOffsets } from './source-offsets';
import type { SourceReader, SubtaskInfo } from '../types';

const log = new Logger('kafka-source');

/** How long an empty read waits for records before returning none (a checkpoint may be waiting). */
const IDLE_WAIT_MS = 50;
/** How often an unbounded source looks for new partitions. */
const DISCOVERY_MS = 5_000;

/**
 * Checkpointed state: next offset per partition of this subtask (keys are partition ids), or, for
 * a checkpoint taken before the first read, when the subtask was created (so that `latest` means
 * the same offsets after a restore).
 */
interface KafkaSourcePosition {
  offsets?: Record<string, number>;
  /** Bounded: where each partition ends, fixed when the first attempt started. */
  ends?: Record<string, number>;
  createdAt?: number;
}

/**
 * Restoring at another parallelism: partitions are assigned anew, so each subtask takes the union of
 * every old subtask's position (Flink's union list state) and keeps the partitions it now owns.
 */
export function unionKafkaPositions(positions: unknown[]): KafkaSourcePosition {
  const union: KafkaSourcePosition = {};
  for (const p of positions as (KafkaSourcePosition | null)[]) {
    if (p?.offsets) union.offsets = { ...union.offsets, ...p.offsets };
    if (p?.ends) union.ends = { ...union.ends, ...p.ends };
    if (p?.createdAt !== undefined) union.createdAt = Math.min(union.createdAt ?? Infinity, p.createdAt);
  }
  return union;
}

export class KafkaSource implements SourceReader {
  private readonly client: KafkaClient;
  private starting: Promise<void> | undefined;
  private ready = false;
  private restored: Map<number, number> | undefined;
  private restoredEnds: Map<number, number> | undefined;
  private restoredCreatedAt: number | undefined;
  private readonly createdAt = Date.now();
  private readonly owned = new Set<number>();
  private readonly buffer = new FetchBuffer(
    this.owned,
    () => this.fetcher,
    (r, p) => this.decode(r, p),
  );
  private fetcher: PartitionFetcher | undefined;
  private startingFetcher: Promise<void> | undefined;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private discovery: NodeJS.Timeout | undefined;
  private readonly committer: GroupOffsetCommitter | undefined;
  private closed = false;

  constructor(
    private readonly c: KafkaConnector,
    private readonly task: SubtaskInfo,
  ) {
    this.client = new KafkaClient(c.brokers, `flinkx-${task.jobId.slice(0, 8)}-${task.node}-${task.subtask}`);
    if (c.groupId) this.committer = new GroupOffsetCommitter(this.client, c.topic, c.groupId);
  }

  private mine(partition: number): boolean {
    return ownsPartition(partition, this.task.subtask, this.task.parallelism);
  }

  private get what(): string {
    return `Kafka topic "${this.c.topic}"`;
  }

  async read(max: number): Promise<unknown[] | null> {
    this.starting ??= this.start();
    await this.starting;
    this.throwIfFailed();
    const out = this.buffer.take(max);
    if (out.length > 0) return out;
    if (this.buffer.exhausted()) {
      await this.committer?.endOfInput(new Map(this.buffer.positions));
      return null;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, IDLE_WAIT_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    this.throwIfFailed();
    return this.buffer.take(max);
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  private async start(): Promise<void> {
    const { c } = this;
    const all = await this.client.partitions(c.topic);
    for (const p of all) if (this.mine(p)) this.owned.add(p);
    const { start, high } = await startOffsets(this.client, c, this.restored, this.restoredCreatedAt);
    const { buffer } = this;
    for (const p of this.owned) buffer.startAt(p, start(p));
    if (c.bounded) buffer.ends = new Map([...this.owned].map((p) => [p, this.restoredEnds?.get(p) ?? high(p)]));
    this.ready = true;
    log.info('reading', {
      topic: c.topic,
      subtask: this.task.subtask,
      partitions: Object.fromEntries(
        [...buffer.positions].map(([p, o]) => [p, buffer.ends ? `${o}..${buffer.ends.get(p)}` : o]),
      ),
    });
    if (this.owned.size > 0 && !buffer.exhausted()) await this.startFetcher();
    if (!c.bounded) {
      this.discovery = setInterval(() => void this.discover(), DISCOVERY_MS);
      this.discovery.unref();
    }
  }

  /** An unbounded source without partitions yet looks for new ones (a running fetcher finds them itself). */
  private async discover(): Promise<void> {
    if (this.closed || this.fetcher || this.startingFetcher) return;
    try {
      const all = await this.client.partitions(this.c.topic);
      for (const p of all) if (this.mine(p)) this.owned.add(p);
      if (this.owned.size > 0 && !this.closed) await this.startFetcher();
    } catch (err) {
      if (!this.closed) log.warn('partition discovery failed', { topic: this.c.topic, error: reason(err) });
    }
  }

  private async startFetcher(): Promise<void> {
    this.startingFetcher ??= (async () => {
      const fixed = this.c.bounded ? [...this.owned] : undefined;
      const fetcher = await this.client.fetch({
        topic: this.c.topic,
        groupId: `flinkx-${this.task.jobId}-${this.task.node}-${this.task.subtask}-a${this.task.attempt}-${randomUUID().slice(0, 8)}`,
        select: (partitions) => fixed ?? partitions.filter((p) => this.mine(p)),
        startOffset: (p) => this.buffer.startOffset(p),
        onAssigned: (partitions) => this.onAssigned(partitions),
        onBatch: (b) => this.onBatch(b),
        onError: (err) => this.fail(err),
        metadataMaxAge: DISCOVERY_MS,
      });
      if (this.closed) {
        await fetcher.close();
        return;
      }
      this.fetcher = fetcher;
      this.onAssigned([...this.owned]);
    })();
    try {
      await this.startingFetcher;
    } finally {
      this.startingFetcher = undefined;
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.wake?.();
  }

  /** Partitions (re)assigned to the fetcher: keep finished ones and, while back-pressured, all paused. */
  private onAssigned(partitions: number[]): void {
    for (const p of partitions) if (!this.buffer.ends) this.owned.add(p);
    this.fetcher?.pause(this.buffer.paused(partitions));
  }

  private onBatch(b: FetchedBatch): void {
    if (!this.closed && this.buffer.add(b)) this.wake?.();
  }

  eventTime(): { timestamps: number[]; splits: string[]; owned: string[] } {
    return {
      timestamps: this.buffer.lastTimestamps,
      splits: this.buffer.lastSplits,
      owned: [...this.owned].map(String),
    };
  }

  private decode(r: KafkaRecord, partition: number): unknown {
    const text = r.value!.toString('utf8');
    if (this.c.format === 'string') return text;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConnectorError(
        `${this.what} partition ${partition} offset ${r.offset}: the message value is not valid JSON (${(err as Error).message}): ` +
          JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text),
      );
    }
  }

  position(checkpointId?: number): unknown {
    if (!this.ready) {
      // Nothing read yet: restoring this starts where this attempt would have started.
      const ends = this.restoredEnds && Object.fromEntries(this.restoredEnds);
      if (this.restored) return { offsets: Object.fromEntries(this.restored), ends } satisfies KafkaSourcePosition;
      return { createdAt: this.restoredCreatedAt ?? this.createdAt, ends } satisfies KafkaSourcePosition;
    }
    const offsets = new Map(this.buffer.positions);
    if (checkpointId !== undefined) this.committer?.record(checkpointId, offsets);
    const position: KafkaSourcePosition = { offsets: Object.fromEntries(offsets) };
    if (this.buffer.ends) position.ends = Object.fromEntries(this.buffer.ends);
    return position;
  }

  restore(position: unknown): void {
    const { offsets, ends, createdAt } = (position as KafkaSourcePosition | null) ?? {};
    const toMap = (o: Record<string, number>) => new Map(Object.entries(o).map(([p, n]) => [Number(p), Number(n)]));
    this.restored = offsets ? toMap(offsets) : undefined;
    this.restoredEnds = ends ? toMap(ends) : undefined;
    this.restoredCreatedAt = createdAt;
  }

  /** Checkpoint n completed: commit the offsets recorded for it to `groupId`. */
  async commit(checkpointId: number): Promise<void> {
    await this.committer?.checkpointCompleted(checkpointId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const committerClosed = this.committer?.close();
    clearInterval(this.discovery);
    await this.startingFetcher?.catch(() => undefined);
    await this.fetcher?.close();
    this.fetcher = undefined;
    await committerClosed;
    await this.client.close();
  }
}
