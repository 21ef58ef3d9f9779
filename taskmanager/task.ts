/**
 * A subtask: its input gate (or a source reader), the operator chain of its vertex, and its outputs
 * (partitioned channels, or a sink writer). One async loop per task; a slot runs several.
 *
 *   DEPLOYING → RUNNING → FINISHED | FAILED | CANCELED
 *
 * After each input batch the task waits until every output channel has sent what it sealed, which
 * is how back-pressure reaches the sources: a source reads only when its channels have credit.
 *
 * Checkpoints: a source, when triggered, records its position between two reads and emits barrier
 * n behind what it sent. Another task snapshots when barrier n has come on every input (a channel
 * that ended counts); in exactly-once mode a channel that delivered the barrier is blocked until
 * then, so the snapshot holds exactly the records before the barrier. Then it forwards the barrier
 * and acknowledges with its snapshot.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { errorInfo } from '../common/errors';
import { OPERATOR_DURATION_BUCKETS, type ErrorInfo, type TaskCounters, type TaskState } from '../common/protocol/control';
import { channelId, type DeploymentPlan, type PlanVertex } from '../common/plan';
import { OutputEdge } from './network/output-edge';
import { FLUSH_MS, InputChannel, InputGate, OutputChannel, type ChannelTransport } from './network/channels';
import { createSink, createSource } from './connectors';
import type { SinkWriter, SourceReader } from './connectors/types';
import type { FunctionRegistry } from './operators/functions';
import { createChain, type Chain, type Collector } from './operators/operators';
import { decodeSnapshot, encodeSnapshot, type TaskSnapshot } from './checkpoint/snapshot';

const SOURCE_READ_RECORDS = 256;

export interface TaskEnvironment {
  plan: DeploymentPlan;
  vertex: PlanVertex;
  subtask: number;
  transport: ChannelTransport;
  functions: FunctionRegistry;
  /** Reads this subtask's snapshot bytes of the checkpoint `plan.restoredCheckpoint`. */
  restoreState?: () => Promise<Uint8Array>;
  report(state: TaskState, error?: ErrorInfo): void;
  acknowledge(checkpointId: number, state: Uint8Array): void;
}

class TaskCanceled extends Error {}

export class StreamTask {
  readonly gate: InputGate;
  readonly outputs: OutputEdge[] = [];
  readonly outputChannels: OutputChannel[];
  private readonly source: SourceReader | undefined;
  private readonly sink: SinkWriter | undefined;
  private readonly chain: Chain;
  private readonly push: Collector;
  private readonly exactlyOnce: boolean;
  /** Checkpoint a source was asked to take at its next chance. */
  private triggered: number | undefined;
  /** The barrier being aligned and the channels that delivered it. */
  private aligning: { id: number; seen: Set<InputChannel> } | undefined;
  private running = false;
  private sinkBuffer: unknown[] = [];
  private canceled = false;
  /** Set by `fail`: the task stops and reports FAILED with this cause (a lost data connection, say). */
  private failure: Error | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private writableWaiter: (() => void) | undefined;
  readonly counters: TaskCounters;

  constructor(private readonly env: TaskEnvironment) {
    const { plan, vertex, subtask, transport } = env;
    this.counters = {
      jobId: plan.jobId, attempt: plan.attempt, vertex: vertex.id, subtask,
      recordsIn: 0, recordsOut: 0, bytesIn: 0, backPressuredMs: 0, busyMs: 0,
      operatorBuckets: OPERATOR_DURATION_BUCKETS.map(() => 0), operatorSeconds: 0, operatorCount: 0,
    };
    const mode = plan.checkpointing?.mode;
    this.exactlyOnce = mode === 'exactly-once';
    const info = { jobId: plan.jobId, subtask, parallelism: vertex.parallelism, attempt: plan.attempt, mode };
    const head = vertex.nodes[0];
    const tail = vertex.nodes[vertex.nodes.length - 1];
    if (head.type === 'source') this.source = createSource(head.connector!, { ...info, node: head.id });
    if (tail.type === 'sink') this.sink = createSink(tail.connector!, { ...info, node: tail.id });

    const parallelism = new Map(plan.vertices.map((v) => [v.id, v.parallelism]));
    for (const edge of plan.edges.filter((e) => e.source === vertex.id)) {
      const targets = edge.partitioner === 'forward' ? [subtask] : [...Array(parallelism.get(edge.target)!).keys()];
      const channels = targets.map(
        (to) => new OutputChannel(channelId(plan.jobId, plan.attempt, edge.id, subtask, to), plan.slots[to], transport, () => this.onWritable()),
      );
      this.outputs.push(new OutputEdge(channels, edge, plan.maxParallelism, subtask));
    }
    this.outputChannels = this.outputs.flatMap((o) => o.channels);
    this.gate = new InputGate(transport);
    for (const edge of plan.edges.filter((e) => e.target === vertex.id)) {
      const sources = edge.partitioner === 'forward' ? [subtask] : [...Array(parallelism.get(edge.source)!).keys()];
      for (const from of sources) {
        this.gate.add(new InputChannel(channelId(plan.jobId, plan.attempt, edge.id, from, subtask), plan.slots[from]));
      }
    }

    const operators = vertex.nodes.filter((n) => n.type !== 'source' && n.type !== 'sink');
    const emit: Collector = this.sink
      ? (r) => this.sinkBuffer.push(r)
      : (r) => {
          for (const o of this.outputs) o.emit(r);
        };
    const counted: Collector = (r) => {
      this.counters.recordsOut++;
      emit(r);
    };
    this.chain = createChain(operators, env.functions, plan.maxParallelism, counted, () => this.gate.interrupt());
    this.push = this.chain.push;
  }

  get isSource(): boolean {
    return this.source !== undefined;
  }

  /** A source takes checkpoint n between two reads; false if this task can no longer take one. */
  triggerCheckpoint(id: number): boolean {
    if (!this.source || !this.running) return false;
    this.triggered = Math.max(id, this.triggered ?? 0);
    return true;
  }

  async checkpointComplete(id: number): Promise<void> {
    try {
      await this.sink?.commit(id);
      await this.source?.commit?.(id);
    } catch (err) {
      this.env.report('FAILED', { message: `commit of checkpoint ${id} failed: ${(err as Error).message}`, stack: (err as Error).stack });
      this.cancel();
    }
  }

  private async restore(bytes: Uint8Array): Promise<void> {
    const snapshot = decodeSnapshot(bytes);
    if (snapshot.source !== undefined) this.source?.restore(snapshot.source);
    for (const [node, keyed] of Object.entries(snapshot.keyed)) this.chain.states.get(node)?.restore(keyed);
    this.chain.async.restore(snapshot.async);
    await this.sink?.restore(snapshot.sink ?? null, this.env.plan.restoredCheckpoint!);
  }

  /** Snapshot this task for checkpoint n, pass the barrier on, acknowledge. */
  private async checkpoint(id: number): Promise<void> {
    const snapshot: TaskSnapshot = { source: this.source?.position(id), keyed: {} };
    for (const [node, state] of this.chain.states) snapshot.keyed[node] = state.snapshot();
    snapshot.async = this.chain.async.snapshot();
    for (const c of this.outputChannels) c.seal({ kind: 'barrier', id });
    if (this.sink) {
      await this.flushSink();
      snapshot.sink = await this.sink.snapshot(id);
    }
    this.env.acknowledge(id, encodeSnapshot(snapshot));
  }

  /** Barrier n arrived on `channel`. */
  private async onBarrier(channel: InputChannel, id: number): Promise<void> {
    if (this.aligning && id < this.aligning.id) return;
    if (!this.aligning || id > this.aligning.id) {
      // A newer barrier abandons an older alignment (that checkpoint failed or timed out).
      this.gate.unblockAll();
      this.aligning = { id, seen: new Set() };
    }
    this.aligning.seen.add(channel);
    if (this.exactlyOnce) channel.blocked = true;
    await this.completeAlignment();
  }

  /** Snapshot once every input has delivered the barrier or ended. */
  private async completeAlignment(): Promise<void> {
    const a = this.aligning;
    if (!a) return;
    for (const c of this.gate.channels) if (!c.ended && !a.seen.has(c)) return;
    this.aligning = undefined;
    await this.checkpoint(a.id);
    this.gate.unblockAll();
  }

  async run(): Promise<void> {
    try {
      if (this.env.restoreState) await this.restore(await this.env.restoreState());
      this.running = true;
      this.env.report('RUNNING');
      if (this.source) await this.runSource(this.source);
      else await this.runInputs();
      await this.endOfInput();
      this.env.report('FINISHED');
    } catch (err) {
      if (this.failure) this.env.report('FAILED', errorInfo(this.failure));
      else if (this.canceled) this.env.report('CANCELED');
      else this.env.report('FAILED', errorInfo(err));
    } finally {
      this.running = false;
      clearTimeout(this.flushTimer);
      this.chain.async.close();
      await this.source?.close().catch(() => undefined);
      await this.sink?.close().catch(() => undefined);
    }
  }

  cancel(): void {
    this.canceled = true;
    this.gate.interrupt();
    this.writableWaiter?.();
    this.chain.async.interrupt();
  }

  /** Stop with `cause`: the task reports FAILED and the job's restart strategy takes over. */
  fail(cause: Error): void {
    this.failure ??= cause;
    this.cancel();
  }

  /**
   * Whether this task still exchanges data with TaskManager `tm`: it sends to a consumer there, or
   * still expects batches from a producer there. Losing that TM's data connection loses them.
   */
  usesTaskManager(tm: string): boolean {
    if (this.outputChannels.some((c) => c.consumer.tm === tm)) return true;
    for (const c of this.gate.channels) if (!c.ended && c.producer.tm === tm) return true;
    return false;
  }

  private checkCanceled(): void {
    if (this.failure) throw this.failure;
    if (this.canceled) throw new TaskCanceled();
  }

  private async runSource(source: SourceReader): Promise<void> {
    for (;;) {
      await this.awaitWritable();
      if (this.triggered !== undefined) {
        const id = this.triggered;
        this.triggered = undefined;
        await this.checkpoint(id);
        continue;
      }
      const records = await source.read(SOURCE_READ_RECORDS);
      this.checkCanceled();
      if (records === null) return;
      const t0 = performance.now();
      this.counters.recordsIn += records.length;
      for (const r of records) this.push(r);
      this.observeOperators(t0);
      await this.afterBatch(t0);
      await this.awaitAsync('room');
      await yieldToEventLoop();
    }
  }

  private async runInputs(): Promise<void> {
    this.gate.open();
    while (!this.gate.allEnded) {
      // A cancel that arrived while this task waited on something else must not be missed here.
      this.checkCanceled();
      const next = await this.gate.next();
      this.checkCanceled();
      await this.awaitAsync('room');
      if (!next) continue;
      const { channel, batch } = next;
      const t0 = performance.now();
      this.counters.recordsIn += batch.records.length;
      this.counters.bytesIn += batch.bytes;
      for (const r of batch.records) this.push(r);
      this.observeOperators(t0);
      await this.afterBatch(t0);
      const marker = batch.marker;
      if (marker?.kind === 'eop') channel.ended = true;
      this.gate.release(channel);
      if (marker?.kind === 'barrier') await this.onBarrier(channel, marker.id);
      else if (marker?.kind === 'eop') await this.completeAlignment();
      await this.awaitWritable();
    }
  }

  /** The operator chain's time for one batch, into the cumulative histogram. */
  private observeOperators(t0: number): void {
    const seconds = (performance.now() - t0) / 1000;
    const c = this.counters;
    c.operatorSeconds += seconds;
    c.operatorCount++;
    for (let i = 0; i < OPERATOR_DURATION_BUCKETS.length; i++) if (seconds <= OPERATOR_DURATION_BUCKETS[i]) c.operatorBuckets[i]++;
  }

  private async flushSink(): Promise<void> {
    if (this.sink && this.sinkBuffer.length > 0) {
      const records = this.sinkBuffer;
      this.sinkBuffer = [];
      await this.sink.write(records);
    }
  }

  /** Hand a processed batch's output on: to the sink, or arm the flush timer of partial batches. */
  private async afterBatch(t0: number): Promise<void> {
    await this.flushSink();
    this.counters.busyMs += performance.now() - t0;
    if (!this.flushTimer && this.outputChannels.some((c) => c.hasBuffered)) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        for (const c of this.outputChannels) c.seal();
      }, FLUSH_MS);
    }
  }

  /** asyncMap: emit the results that are ready, then wait (emitting) until no queue is full or all are empty. */
  private async awaitAsync(until: 'room' | 'idle'): Promise<void> {
    const ops = this.chain.async;
    if (ops.list.length === 0) return;
    for (;;) {
      const t0 = performance.now();
      ops.drain();
      await this.afterBatch(t0);
      if (until === 'room' ? !ops.full : ops.idle) return;
      this.checkCanceled();
      await ops.nextSettle();
      this.checkCanceled();
    }
  }

  private async endOfInput(): Promise<void> {
    await this.awaitAsync('idle');
    await this.sink?.finish();
    for (const c of this.outputChannels) c.seal({ kind: 'eop' });
    await this.awaitWritable();
  }

  private onWritable(): void {
    this.writableWaiter?.();
  }

  /** Wait until every output channel has sent its sealed batches (has had credit for them). */
  private async awaitWritable(): Promise<void> {
    const outs = this.outputChannels;
    if (!outs.some((c) => c.backlogged)) return;
    const t0 = performance.now();
    while (outs.some((c) => c.backlogged)) {
      this.checkCanceled();
      await new Promise<void>((resolve) => (this.writableWaiter = resolve));
      this.writableWaiter = undefined;
    }
    this.checkCanceled();
    this.counters.backPressuredMs += performance.now() - t0;
  }
}
