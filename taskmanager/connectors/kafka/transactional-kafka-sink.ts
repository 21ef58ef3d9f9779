/**
 * TransactionalKafkaSink (exactly-once): records go into a Kafka transaction that is committed
 * only when the checkpoint whose barrier ended it has completed, so a read_committed reader sees
 * each record once. Kafka allows one open transaction per producer, and records that arrive after
 * barrier n while n is not yet committed must not join n's transaction, so (as Flink's KafkaSink
 * does) each subtask has a small pool of transactional ids `flinkx-<jobId>-<node>-<subtask>-<k>`:
 *
 *   - write: into the current transaction (opened on a free id on first use);
 *   - snapshot(n): wait until its sends are acknowledged and mark it with n (an offset committed
 *     within the transaction, producers.ts); it becomes "pending for n" and the next write opens a
 *     new transaction on another id. The state of checkpoint n lists every pending transaction
 *     with its transactional id, producer id and epoch;
 *   - commit(n): commit the pending transactions up to n, in order, retrying transient errors
 *     (a broker away for a while) with back-off (transaction-commit.ts);
 *   - restore(state of n): commit the transactions the state lists (their commit may have been
 *     lost in the crash), then initialize every id of the pool, which aborts what the failed
 *     attempt left open after n (replayed now);
 *   - finish: commit everything (end of input).
 *
 * Each producer runs exactly one transaction and is then retired; the next one on that id is a new
 * producer whose initialization bumps the epoch. So (id, producer id, epoch) names one transaction
 * and a restore can never commit a later transaction that happens to reuse the id. Spare producers
 * are initialized in the background so a checkpoint does not wait for one.
 *
 * A transaction the coordinator no longer has open under its epoch was either committed (and its
 * id used again) or aborted: its mark tells which. An aborted transaction of a completed checkpoint
 * (expired by the broker: it outlived `transactionTimeout`, common/connectors/kafka-transaction-timeout.ts,
 * or fenced) lost its records, since the checkpoint's source positions are past them: the job fails at once
 * (KAFKA_TRANSACTION_LOST), naming the transaction and the checkpoint. If a job is given up for
 * good, readers of its output partitions wait at most `transactionTimeout` for its open
 * transactions to be aborted.
 */
import { ConnectorError, NonRetriableError } from '../../../common/errors';
import type { KafkaConnector } from '../../../common/connectors/kafka';
import { Logger } from '../../../common/log';
import { reason } from './client-settings';
import { KafkaClient } from './kafka-client';
import { messageFor, Sender } from './kafka-sink';
import type { KafkaTransaction } from './producers';
import { systemRetryTime, type RetryTime } from './transaction-commit';
import { MIN_DERIVED_TRANSACTION_TIMEOUT_MS } from '../../../common/connectors/kafka-transaction-timeout';
import type { SinkWriter, SubtaskInfo } from '../types';

const log = new Logger('kafka-sink');

/** The "checkpoint" of the transaction finish() commits. */
const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

/** Transactional ids per subtask: the current transaction, pending ones, spares. */
const POOL_SIZE = 6;
const SPARES = 2;
/** How long closing a failed task may spend aborting its open transaction. */
const ABORT_ON_CLOSE_MS = 5_000;

interface Open {
  slot: number;
  tx: KafkaTransaction;
  sender: Sender;
}

interface Pending extends Open {
  checkpointId: number;
}

/** One transaction to be committed when its checkpoint completes. */
export interface PendingTransaction {
  checkpointId: number;
  transactionalId: string;
  producerId: string;
  producerEpoch: number;
}

/** What checkpoint n holds of a transactional sink: the transactions still to be committed. */
interface TransactionalSinkState {
  pending: PendingTransaction[];
}

/** What the sink needs of KafkaClient to commit a pending transaction (a fake in unit tests). */
export interface TransactionCommitter {
  commitTransaction(
    transactionalId: string,
    producerId: string,
    producerEpoch: number,
    deadline: number,
    time: RetryTime,
  ): Promise<'committed' | 'gone'>;
  committed(groupId: string, topic: string): Promise<Map<number, number>>;
}

/**
 * Commits a pending transaction: "committed" now (or before, under the same epoch), "committed
 * before" when the coordinator no longer has it but its mark is there. A transaction that is gone
 * without its mark was aborted, and its records are lost: a NonRetriableError (KAFKA_TRANSACTION_LOST).
 */
export async function commitPending(
  client: TransactionCommitter,
  p: PendingTransaction,
  o: { topic: string; transactionTimeout: number; time: RetryTime },
): Promise<'committed' | 'committed before'> {
  const outcome = await client.commitTransaction(
    p.transactionalId,
    p.producerId,
    p.producerEpoch,
    o.time.now() + o.transactionTimeout,
    o.time,
  );
  if (outcome === 'committed') return 'committed';
  const mark = (await client.committed(p.transactionalId, o.topic)).get(0);
  if (mark !== undefined && mark >= p.checkpointId) return 'committed before';
  const of = p.checkpointId === END_OF_INPUT ? 'the end of input' : `completed checkpoint ${p.checkpointId}`;
  throw new NonRetriableError(
    `exactly-once Kafka sink for topic "${o.topic}": transaction "${p.transactionalId}" (producer id ${p.producerId}, epoch ` +
      `${p.producerEpoch}) of ${of} was aborted by the broker before it was committed: it outlived ` +
      `its transactionTimeout of ${o.transactionTimeout} ms (a broker or the job away for longer), or was fenced. Its records are ` +
      `lost, since the checkpoint's source positions are past them; restore an earlier savepoint or checkpoint`,
    { code: 'KAFKA_TRANSACTION_LOST' },
  );
}

/** Exactly-once Kafka sink (see the top of this file). */
export class TransactionalKafkaSink implements SinkWriter {
  private readonly client: KafkaClient;
  private readonly ids: string[];
  private initializing: Promise<void> | undefined;
  private restored = false;
  /** Slots with a producer being initialized or ready, not yet used. */
  private readonly spares = new Map<number, Promise<KafkaTransaction>>();
  private current: Open | undefined;
  private pending: Pending[] = [];
  /** Slots of the current and the pending transactions. */
  private readonly inUse = new Set<number>();
  private committing: Promise<void> = Promise.resolve();
  /** The highest checkpoint commit() was called for. */
  private commitRequested = 0;
  private closed = false;
  /** Filled in when the job is submitted (common/connectors/kafka-transaction-timeout.ts); the producer's default otherwise. */
  private readonly transactionTimeout: number;

  constructor(
    private readonly c: KafkaConnector,
    private readonly task: SubtaskInfo,
    private readonly time: RetryTime = systemRetryTime,
  ) {
    this.transactionTimeout = c.transactionTimeout ?? MIN_DERIVED_TRANSACTION_TIMEOUT_MS;
    this.client = new KafkaClient(c.brokers, `flinkx-${task.jobId.slice(0, 8)}-${task.node}-${task.subtask}`);
    this.ids = Array.from({ length: POOL_SIZE }, (_, k) => `flinkx-${task.jobId}-${task.node}-${task.subtask}-${k}`);
  }

  /**
   * Checks the topic, then initializes producers. An attempt after a failure initializes every id
   * of the pool: that aborts whatever the failed attempt left open (its records are replayed).
   */
  private init(): Promise<void> {
    this.initializing ??= (async () => {
      await this.client.partitions(this.c.topic);
      const all = this.restored || this.task.attempt > 0;
      for (let k = 0; k < (all ? POOL_SIZE : SPARES); k++) this.warm(k);
      if (all) await Promise.all(this.spares.values());
    })();
    return this.initializing;
  }

  private warm(slot: number): void {
    const p = this.client.transaction(this.ids[slot], this.transactionTimeout);
    p.catch(() => undefined); // surfaces when the slot is taken
    this.spares.set(slot, p);
  }

  private busy(slot: number): boolean {
    return this.inUse.has(slot) || this.spares.has(slot);
  }

  /** Keep SPARES producers initializing or ready on free ids. */
  private topUp(): void {
    if (this.closed) return;
    for (let k = 0; k < POOL_SIZE && this.spares.size < SPARES; k++) if (!this.busy(k)) this.warm(k);
  }

  /** A transaction on a free id for the records after the last barrier. */
  private async open(): Promise<Open> {
    for (;;) {
      const [slot, next] = this.spares.entries().next().value ?? [];
      if (slot !== undefined && next) {
        this.spares.delete(slot);
        this.inUse.add(slot);
        this.topUp();
        let tx: KafkaTransaction;
        try {
          tx = await next;
        } catch (err) {
          this.inUse.delete(slot);
          throw err;
        }
        log.debug('transaction opened', {
          topic: this.c.topic,
          transactionalId: tx.transactionalId,
          producerId: tx.producerId,
          epoch: tx.producerEpoch,
        });
        return { slot, tx, sender: new Sender((messages) => tx.send(this.c.topic, messages)) };
      }
      this.topUp();
      if (this.spares.size > 0) continue;
      // Every id holds a transaction waiting for its checkpoint. Wait only if a commit that will
      // free one is under way: waiting for a checkpoint that may never complete would block the
      // task before the next barrier, for good.
      if (this.pending.length > 0 && this.pending[0].checkpointId <= this.commitRequested) {
        await this.committing;
        continue;
      }
      throw new ConnectorError(
        `exactly-once Kafka sink for topic "${this.c.topic}": all ${POOL_SIZE} transactional ids hold transactions waiting ` +
          `for checkpoints ${this.pending.map((p) => p.checkpointId).join(', ')} to complete`,
      );
    }
  }

  async write(records: unknown[]): Promise<void> {
    await this.init();
    this.current ??= await this.open();
    await this.current.sender.push(records.map((r) => messageFor(this.c, r)));
  }

  async snapshot(checkpointId: number): Promise<unknown> {
    await this.init();
    const cur = this.current;
    if (cur?.sender.used) {
      await cur.sender.flush();
      await cur.tx.mark(this.c.topic, checkpointId);
      this.pending.push({ ...cur, checkpointId });
      log.debug('transaction pending', { topic: this.c.topic, transactionalId: cur.tx.transactionalId, checkpointId });
      this.current = undefined;
    }
    const state: TransactionalSinkState = { pending: this.pending.map(described) };
    return state;
  }

  async commit(checkpointId: number): Promise<void> {
    if (this.closed) return;
    this.commitRequested = Math.max(this.commitRequested, checkpointId);
    this.committing = this.committing.then(() => this.commitUpTo(checkpointId));
    await this.committing;
  }

  private async commitUpTo(checkpointId: number): Promise<void> {
    while (!this.closed && this.pending.length > 0 && this.pending[0].checkpointId <= checkpointId) {
      const p = this.pending[0];
      await this.commitPending(described(p));
      log.debug('transaction committed', {
        topic: this.c.topic,
        transactionalId: p.tx.transactionalId,
        checkpointId: p.checkpointId,
      });
      this.pending.shift();
      await p.tx.close();
      this.inUse.delete(p.slot);
      this.topUp();
    }
  }

  async restore(state: unknown, checkpointId: number): Promise<void> {
    this.restored = true;
    for (const p of (state as TransactionalSinkState | null)?.pending ?? []) {
      const outcome = await this.commitPending(p);
      log.info(
        outcome === 'committed'
          ? 'transaction of the restored checkpoint committed'
          : 'transaction of the restored checkpoint had been committed already',
        {
          topic: this.c.topic,
          transactionalId: p.transactionalId,
          transactionCheckpoint: p.checkpointId,
          restoredCheckpoint: checkpointId,
        },
      );
    }
  }

  private commitPending(p: PendingTransaction): Promise<'committed' | 'committed before'> {
    return commitPending(this.client, p, {
      topic: this.c.topic,
      transactionTimeout: this.transactionTimeout,
      time: this.time,
    });
  }

  async finish(): Promise<void> {
    await this.init();
    const cur = this.current;
    if (cur?.sender.used) {
      await cur.sender.flush();
      this.pending.push({ ...cur, checkpointId: END_OF_INPUT });
      this.current = undefined;
    }
    this.committing = this.committing.then(() => this.commitUpTo(END_OF_INPUT));
    await this.committing;
  }

  async close(): Promise<void> {
    this.closed = true;
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      // Records after the last barrier: always replayed, never to be committed.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([cur.tx.abort(), new Promise((r) => (timer = setTimeout(r, ABORT_ON_CLOSE_MS)))]).catch(
        (err) =>
          log.warn('cannot abort the open transaction', {
            topic: this.c.topic,
            transactionalId: cur.tx.transactionalId,
            error: reason(err),
          }),
      );
      clearTimeout(timer);
    }
    // The attempt that replaces this one uses the same transactional ids. A spare still being
    // initialized (retrying against a broker that is away, say) would, if it got through later,
    // bump an id's epoch and abort that attempt's transaction on it, and a restore cannot tell an
    // aborted transaction from a committed one. So this task reaches no broker after it closes:
    // what it has not finished is never finished. Pending transactions are left open: a restored
    // attempt commits them (or they time out).
    this.client.sever();
    this.committing.catch(() => undefined);
    for (const p of this.spares.values())
      void p.then(
        (tx) => tx.close(),
        () => undefined,
      );
    this.spares.clear();
    await this.client.close();
  }
}

function described(p: Pending): PendingTransaction {
  return {
    checkpointId: p.checkpointId,
    transactionalId: p.tx.transactionalId,
    producerId: p.tx.producerId,
    producerEpoch: p.tx.producerEpoch,
  };
}
