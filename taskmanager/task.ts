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
 * n behind what it sent. Another task snapshots once ./checkpoint/barrier-aligner says barrier n
 * has come on every input; then it forwards the barrier and acknowledges with its snapshot.
 * Stop-with-savepoint (a terminal checkpoint): the source reads nothing after its barrier, and
 * once the savepoint completes every task commits and ends FINISHED without ending its input
 * (no +infinity watermark: windows keep their contents in the savepoint, as in Flink's stop without --drain).
 *
 * Time: watermarks and watermark status arrive as markers; the task's input watermark is the
 * minimum over its channels (StatusWatermarkValve) and goes through the chain, whose watermarks go
 * out on every output channel. Timer callbacks (periodic watermarks, processing-time windows) are
 * mails: they run in the task's loop between two batches, never in the middle of one, as in Flink's
 * mailbox model. A source's end of input is the watermark +infinity, so every window fires.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { errorInfo } from '../common/errors';
import { OPERATOR_DURATION_BUCKETS, type ErrorInfo, type TaskCounters, type TaskState } from '../common/protocol/control';
import { channelId, type DeploymentPlan, type PlanVertex } from '../common/plan';
import { DEFAULT_NETWORK, InputChannel, InputGate, type NetworkOptions, type ChannelTransport, type OutputChannel } from './network/channels';
import { TaskOutputs } from './network/task-outputs';
import { createSink, createSource } from './connectors';
import type { SinkWriter, SourceReader } from './connectors/types';
import type { FunctionRegistry } from './operators/functions';
import { LATE_OUTPUT } from '../common/jobfile';
import { createChain, type Chain, type Collector } from './operators/operators';
import type { Output } from './operators/output';
import { BarrierAligner } from './checkpoint/barrier-aligner';
import { encodeSnapshot, type TaskSnapshot } from '../common/protocol/snapshot';
import { operatorUid } from '../common/operator-uids';
import type { RestoredState } from './checkpoint/restore';
import { StatusWatermarkValve, type ValveOutput } from './time/watermark-valve';
import { Mailbox } from './time/mailbox';

const SOURCE_READ_RECORDS = 256;

export interface TaskEnvironment {
  plan: DeploymentPlan;
  /** Batch size, flush interval and credits of this TM's channels. */
  network?: NetworkOptions;
  vertex: PlanVertex;
  subtask: number;
  transport: ChannelTransport;
  functions: FunctionRegistry;
  /** This subtask's state in the checkpoint or savepoint `plan.restoredCheckpoint` (./checkpoint/restore.ts). */
  restoreState?: () => Promise<RestoredState>;
  report(state: TaskState, error?: ErrorInfo): void;
  acknowledge(checkpointId: number, state: Uint8Array): void;
}

class TaskCanceled extends Error {}

export class StreamTask {
  readonly gate: InputGate;
  readonly outputs: TaskOutputs;
  readonly outputChannels: OutputChannel[];
  private readonly source: SourceReader | undefined;
  private readonly sink: SinkWriter | undefined;
  private readonly chain: Chain;
  private readonly push: Collector;
  private readonly valve: StatusWatermarkValve<InputChannel>;
  private readonly mailbox = new Mailbox(() => this.gate.interrupt());
  /** Checkpoint a source was asked to take at its next chance. */
  private triggered: number | undefined;
  private readonly aligner: BarrierAligner;
  private running = false;
  /** The terminal savepoint this task was asked to stop with; set once it completed, the task ends. */
  private stopWith: number | undefined;
  private stopped = false;
  private stopWaiter: (() => void) | undefined;
  private sinkBuffer: unknown[] = [];
  private canceled = false;
  /** Set by `fail`: the task stops and reports FAILED with this cause (a lost data connection, say). */
  private failure: Error | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private writableWaiter: (() => void) | undefined;
  readonly counters: TaskCounters;

  private readonly network: NetworkOptions;

  constructor(private readonly env: TaskEnvironment) {
    this.network = env.network ?? DEFAULT_NETWORK;
    const { plan, vertex, subtask, transport } = env;
    this.counters = {
      jobId: plan.jobId, attempt: plan.attempt, vertex: vertex.id, subtask,
      recordsIn: 0, recordsOut: 0, bytesIn: 0, backPressuredMs: 0, busyMs: 0,
      operatorBuckets: OPERATOR_DURATION_BUCKETS.map(() => 0), operatorSeconds: 0, operatorCount: 0,
    };
    const mode = plan.checkpointing?.mode;
    const info = { jobId: plan.jobId, subtask, parallelism: vertex.parallelism, attempt: plan.attempt, mode };
    const head = vertex.nodes[0];
    const tail = vertex.nodes[vertex.nodes.length - 1];
    if (head.type === 'source') this.source = createSource(head.connector!, { ...info, node: head.id });
    if (tail.type === 'sink') this.sink = createSink(tail.connector!, { ...info, node: tail.id });

    this.outputs = new TaskOutputs(plan, vertex, subtask, transport, () => this.onWritable(), this.network.batchRecords);
    this.outputChannels = this.outputs.channels;
    const parallelism = new Map(plan.vertices.map((v) => [v.id, v.parallelism]));
    this.gate = new InputGate(transport, this.network.credits);
    this.aligner = new BarrierAligner(this.gate, mode === 'exactly-once');
    for (const edge of plan.edges.filter((e) => e.target === vertex.id)) {
      const sources = edge.partitioner === 'forward' ? [subtask] : [...Array(parallelism.get(edge.source)!).keys()];
      for (const from of sources) {
        this.gate.add(new InputChannel(channelId(plan.jobId, plan.attempt, edge.id, from, subtask), plan.slots[from], edge.input));
      }
    }

    this.valve = new StatusWatermarkValve(this.gate.channels);

    const emit: Collector = this.sink ? (r) => this.sinkBuffer.push(r) : (r, ts) => this.outputs.emit(r, ts);
    const out: Output = {
      push: (r, ts) => {
        this.counters.recordsOut++;
        emit(r, ts);
      },
      watermark: (w) => {
        // The end of input (+infinity) is no time a metric or frame can carry.
        if (Number.isFinite(w)) this.counters.watermark = w;
        this.outputs.watermark(w);
      },
      status: (idle) => this.outputs.status(idle),
    };
    const side = (tag: string, r: unknown, ts?: number) => {
      if (tag === LATE_OUTPUT) this.counters.lateRecords = (this.counters.lateRecords ?? 0) + 1;
      this.outputs.side(tag, r, ts);
    };
    this.chain = createChain(vertex.nodes, { fns: env.functions, maxParallelism: plan.maxParallelism, time: this.mailbox, side }, out, () => this.gate.interrupt());
    this.push = this.chain.push;
  }

  /** The valve's output goes through the chain: active first, then the watermark, then idle. */
  private applyValve(v: ValveOutput): void {
    if (v.idle === false) this.chain.status(false);
    if (v.watermark !== undefined) this.chain.watermark(v.watermark);
    if (v.idle === true) this.chain.status(true);
  }

  /** Run the timer callbacks that are due; what they emit is handed on like a batch's output. */
  private async runMails(): Promise<void> {
    const t0 = performance.now();
    if (this.mailbox.runDue()) await this.afterBatch(t0);
  }

  get isSource(): boolean {
    return this.source !== undefined;
  }

  /**
   * A source takes checkpoint n between two reads; false if this task can no longer take one. With
   * `terminate` (stop-with-savepoint) it reads nothing after it.
   */
  triggerCheckpoint(id: number, terminate = false): boolean {
    if (!this.source || !this.running) return false;
    this.triggered = Math.max(id, this.triggered ?? 0);
    if (terminate) this.stopWith = id;
    return true;
  }

  /** Checkpoint n completed: commit; after a terminal savepoint the task then ends. */
  async checkpointComplete(id: number, terminate = false): Promise<void> {
    try {
      await this.sink?.commit(id);
      await this.source?.commit?.(id);
    } catch (err) {
      this.env.report('FAILED', { message: `commit of checkpoint ${id} failed: ${(err as Error).message}`, stack: (err as Error).stack });
      return this.cancel();
    }
    if (!terminate) return;
    this.stopped = true;
    this.stopWaiter?.();
    this.gate.interrupt();
  }

  private async restore(state: RestoredState): Promise<void> {
    const { vertex, plan } = this.env;
    const head = vertex.nodes[0];
    const tail = vertex.nodes[vertex.nodes.length - 1];
    if (state.source && state.source.uid === operatorUid(head)) this.source?.restore(state.source.position);
    for (const [uid, keyed] of Object.entries(state.keyed)) this.chain.states.get(uid)?.restore(keyed);
    this.chain.async.restore(state.async);
    for (const [uid, s] of Object.entries(state.operators ?? {})) this.chain.operatorStates.get(uid)?.restore(s);
    const sinks = state.sinks.filter((s) => s.uid === operatorUid(tail));
    for (const s of sinks.length > 0 ? sinks : [{ state: null }]) await this.sink?.restore(s.state, plan.restoredCheckpoint!);
  }

  /** Snapshot this task for checkpoint n, pass the barrier on, acknowledge. */
  private async checkpoint(id: number): Promise<void> {
    const head = this.env.vertex.nodes[0];
    const snapshot: Omit<TaskSnapshot, 'version'> = { keyed: {} };
    if (this.source) snapshot.source = { uid: operatorUid(head), position: this.source.position(id) };
    for (const [node, state] of this.chain.states) snapshot.keyed[node] = state.snapshot();
    snapshot.async = this.chain.async.snapshot();
    if (this.chain.operatorStates.size > 0) snapshot.operators = {};
    for (const [node, state] of this.chain.operatorStates) snapshot.operators![node] = state.snapshot();
    for (const c of this.outputChannels) c.seal({ kind: 'barrier', id });
    if (this.sink) {
      await this.flushSink();
      const tail = this.env.vertex.nodes[this.env.vertex.nodes.length - 1];
      snapshot.sink = { uid: operatorUid(tail), state: await this.sink.snapshot(id) };
    }
    this.env.acknowledge(id, encodeSnapshot(snapshot));
  }

  /** The checkpoint alignment says is complete, if any: snapshot, then let the blocked channels go. */
  private async aligned(id: number | undefined): Promise<void> {
    if (id === undefined) return;
    await this.checkpoint(id);
    this.aligner.release();
  }

  async run(): Promise<void> {
    try {
      if (this.env.restoreState) await this.restore(await this.env.restoreState());
      this.running = true;
      this.env.report('RUNNING');
      if (this.source) await this.runSource(this.source);
      else await this.runInputs();
      if (!this.stopped) await this.endOfInput();
      this.env.report('FINISHED');
    } catch (err) {
      if (this.failure) this.env.report('FAILED', errorInfo(this.failure));
      else if (this.canceled) this.env.report('CANCELED');
      else this.env.report('FAILED', errorInfo(err));
    } finally {
      this.running = false;
      clearTimeout(this.flushTimer);
      this.chain.async.close();
      this.mailbox.close();
      await this.source?.close().catch(() => undefined);
      await this.sink?.close().catch(() => undefined);
    }
  }

  cancel(): void {
    this.canceled = true;
    this.gate.interrupt();
    this.writableWaiter?.();
    this.stopWaiter?.();
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
        if (this.stopWith === id) return this.awaitStop();
        continue;
      }
      await this.runMails();
      const records = await source.read(SOURCE_READ_RECORDS);
      this.checkCanceled();
      if (records === null) {
        this.chain.watermark(Infinity);
        await this.afterBatch(performance.now());
        return;
      }
      const t0 = performance.now();
      this.counters.recordsIn += records.length;
      const timed = this.chain.sourceTimestamps && source.eventTime?.();
      if (timed) {
        this.chain.sourceTimestamps!.declareSplits(timed.owned);
        for (let i = 0; i < records.length; i++) this.push(records[i], timed.timestamps[i], timed.splits[i]);
      } else for (const r of records) this.push(r);
      this.observeOperators(t0);
      await this.afterBatch(t0);
      await this.awaitAsync('room');
      await yieldToEventLoop();
    }
  }

  private async runInputs(): Promise<void> {
    this.gate.open();
    while (!this.gate.allEnded && !this.stopped) {
      // A cancel that arrived while this task waited on something else must not be missed here.
      this.checkCanceled();
      const next = await this.gate.next();
      this.checkCanceled();
      await this.awaitAsync('room');
      await this.runMails();
      if (!next) continue;
      const { channel, batch } = next;
      const t0 = performance.now();
      this.counters.recordsIn += batch.records.length;
      this.counters.bytesIn += batch.bytes;
      const { records, timestamps, keyGroups } = batch;
      for (let i = 0; i < records.length; i++) this.push(records[i], timestamps?.[i] ?? undefined, channel.input, keyGroups?.[i]);
      const marker = batch.marker;
      if (marker?.kind === 'watermark') this.applyValve(this.valve.inputWatermark(channel, marker.timestamp));
      else if (marker?.kind === 'status') this.applyValve(this.valve.inputStatus(channel, marker.idle));
      else if (marker?.kind === 'eop') {
        channel.ended = true;
        this.applyValve(this.valve.endOfInput(channel));
      }
      this.observeOperators(t0);
      await this.afterBatch(t0);
      this.gate.release(channel);
      if (marker?.kind === 'barrier') await this.aligned(this.aligner.onBarrier(channel, marker.id));
      else if (marker?.kind === 'eop') await this.aligned(this.aligner.onEndOfPartition());
      await this.awaitWritable();
    }
  }

  /** After its terminal savepoint a source waits, reading nothing, until the savepoint completes (or a cancel). */
  private async awaitStop(): Promise<void> {
    while (!this.stopped) {
      this.checkCanceled();
      await new Promise<void>((resolve) => (this.stopWaiter = resolve));
      this.stopWaiter = undefined;
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
    if (this.chain.operatorStates.size > 0) this.counters.openWindows = this.chain.openWindows();
    await this.flushSink();
    this.counters.busyMs += performance.now() - t0;
    if (!this.flushTimer && this.outputChannels.some((c) => c.hasBuffered)) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        for (const c of this.outputChannels) c.seal();
      }, this.network.flushMs);
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
