/**
 * Kafka sinks. A record becomes one message: `format: json` → the record as JSON text; `string` →
 * a string record as it is, anything else as JSON. `key` names a record field whose value (text,
 * or JSON for non-strings) is the message key; keyed messages go to the partition Kafka's default
 * partitioner picks (murmur2, as Java clients), so one key always lands in one partition, in order.
 *
 * KafkaSink (no checkpointing, or at-least-once): one producer, acks from all in-sync replicas,
 * one request in flight so order holds through retries. Writes are batched and sent in the
 * background (at most MAX_BUFFERED messages wait; more back-pressure the task). Every snapshot
 * waits until everything written so far is acknowledged; so does the end of input.
 *
 * The exactly-once sink is TransactionalKafkaSink (transactional-kafka-sink.ts).
 */
import type { KafkaConnector } from '../../../common/connectors/kafka';
import { KafkaClient } from './kafka-client';
import type { OutgoingMessage, PlainProducer } from './producers';
import type { SinkWriter, SubtaskInfo } from '../types';

/** Messages waiting to be sent before write() waits. */
const MAX_BUFFERED = 10_000;
/** One send (one produce request) carries at most this many messages or bytes. */
const SEND_BATCH = 4_000;
const SEND_BATCH_BYTES = 512 * 1024;

export function messageFor(c: KafkaConnector, record: unknown): OutgoingMessage {
  const value = c.format === 'string' && typeof record === 'string' ? record : (JSON.stringify(record) ?? 'null');
  let key: string | null = null;
  if (c.key !== undefined && record !== null && typeof record === 'object') {
    const k = (record as Record<string, unknown>)[c.key];
    if (k !== undefined && k !== null) key = typeof k === 'string' ? k : JSON.stringify(k);
  }
  return { key, value };
}

/** Sends what is written in the background, one send at a time (so order holds), in batches. */
export class Sender {
  private buffer: OutgoingMessage[] = [];
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  /** Something was handed to push() since creation. */
  used = false;

  constructor(private readonly send: (messages: OutgoingMessage[]) => Promise<void>) {}

  async push(messages: OutgoingMessage[]): Promise<void> {
    this.check();
    if (messages.length === 0) return;
    this.used = true;
    for (const m of messages) this.buffer.push(m);
    this.pump();
    while (this.buffer.length >= MAX_BUFFERED && this.inFlight) {
      await this.inFlight;
      this.check();
    }
  }

  private pump(): void {
    if (this.inFlight || this.buffer.length === 0 || this.failure) return;
    let n = 0;
    let bytes = 0;
    while (n < this.buffer.length && n < SEND_BATCH && bytes < SEND_BATCH_BYTES) {
      const m = this.buffer[n++];
      bytes += m.value.length + (m.key?.length ?? 0);
    }
    const batch = n === this.buffer.length ? this.buffer : this.buffer.slice(0, n);
    this.buffer = n === this.buffer.length ? [] : this.buffer.slice(n);
    this.inFlight = (async () => {
      try {
        await this.send(batch);
      } catch (err) {
        this.failure ??= err as Error;
      }
      this.inFlight = undefined;
      this.pump();
    })();
  }

  /** Wait until everything pushed so far is acknowledged. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/** Plain and at-least-once Kafka sink. */
export class KafkaSink implements SinkWriter {
  private readonly client: KafkaClient;
  private starting: Promise<{ producer: PlainProducer; sender: Sender }> | undefined;

  constructor(
    private readonly c: KafkaConnector,
    task: SubtaskInfo,
  ) {
    this.client = new KafkaClient(c.brokers, `flinkx-${task.jobId.slice(0, 8)}-${task.node}-${task.subtask}`);
  }

  private start() {
    this.starting ??= (async () => {
      await this.client.partitions(this.c.topic);
      const producer = await this.client.producer();
      return { producer, sender: new Sender((messages) => producer.send(this.c.topic, messages)) };
    })();
    return this.starting;
  }

  async write(records: unknown[]): Promise<void> {
    const { sender } = await this.start();
    await sender.push(records.map((r) => messageFor(this.c, r)));
  }

  async snapshot(): Promise<unknown> {
    await (await this.start()).sender.flush();
    return null;
  }

  async commit(): Promise<void> {}

  async restore(): Promise<void> {}

  async finish(): Promise<void> {
    await (await this.start()).sender.flush();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
