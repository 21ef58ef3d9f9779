/**
 * A subtask: its input gate (or a source reader), the operator chain of its vertex, and its outputs
 * (partitioned channels, or a sink writer). One async loop per task; a slot runs several.
 *
 *   DEPLOYING → RUNNING → FINISHED | FAILED | CANCELED
 *
 * The task restores its state, runs its loop (./source-loop.ts for a source, else
 * ./stream-input-processor.ts), then ends its input: async results out, the sink finished,
 * end-of-partition on every channel. Checkpoints are ./subtask-checkpoint-coordinator.ts; the chain
 * and what sits at its tail (sink buffer, flush timer, back-pressure, mailbox) ./operator-chain.ts.
 * Stop-with-savepoint (a terminal checkpoint): the source reads nothing after its barrier, and
 * once the savepoint completes every task commits and ends FINISHED without ending its input
 * (no +infinity watermark: windows keep their contents in the savepoint, as in Flink's stop without --drain).
 *
 * Time: watermarks and watermark status arrive as markers; the task's input watermark is the
 * minimum over its channels (StatusWatermarkValve) and goes through the chain, whose watermarks go
 * out on every output channel. Timer callbacks (periodic watermarks, processing-time windows) are
 * mails: they run in the task's loop between two batches, never in the middle of one, as in Flink's
 * mailbox model.
 */
import { errorInfo } from '../../common/errors';
import {
  OPERATOR_DURATION_BUCKETS,
  type ErrorInfo,
  type TaskCounters,
  type TaskState,
} from '../../common/protocol/control';
import { channelId } from '../../common/plan';
import { DEFAULT_NETWORK, InputChannel, InputGate, type OutputChannel } from '../network/channels';
import type { TaskOutputs } from '../network/task-outputs';
import { createSink, createSource } from '../connectors';
import type { SinkWriter, SourceReader } from '../connectors/types';
import { OperatorChain } from './operator-chain';
import { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator';
import { StreamInputProcessor } from './stream-input-processor';
import { SourceLoop } from './source-loop';
import type { TaskEnvironment } from './task-environment';

class TaskCanceled extends Error {}

export class StreamTask {
  readonly gate: InputGate;
  readonly outputs: TaskOutputs;
  readonly outputChannels: OutputChannel[];
  readonly counters: TaskCounters;
  private readonly source: SourceReader | undefined;
  private readonly sink: SinkWriter | undefined;
  private readonly chain: OperatorChain;
  private readonly checkpoints: SubtaskCheckpointCoordinator;
  private readonly input: SourceLoop | StreamInputProcessor;
  private running = false;
  private canceled = false;
  /** Set by `fail`: the task stops and reports FAILED with this cause (a lost data connection, say). */
  private failure: Error | undefined;

  constructor(private readonly env: TaskEnvironment) {
    const network = env.network ?? DEFAULT_NETWORK;
    const { plan, vertex, subtask, transport } = env;
    this.counters = {
      jobId: plan.jobId,
      attempt: plan.attempt,
      vertex: vertex.id,
      subtask,
      recordsIn: 0,
      recordsOut: 0,
      bytesIn: 0,
      backPressuredMs: 0,
      busyMs: 0,
      operatorBuckets: OPERATOR_DURATION_BUCKETS.map(() => 0),
      operatorSeconds: 0,
      operatorCount: 0,
    };
    const mode = plan.checkpointing?.mode;
    const info = { jobId: plan.jobId, subtask, parallelism: vertex.parallelism, attempt: plan.attempt, mode };
    const head = vertex.nodes[0];
    const tail = vertex.nodes[vertex.nodes.length - 1];
    if (head.type === 'source') this.source = createSource(head.connector!, { ...info, node: head.id });
    if (tail.type === 'sink') this.sink = createSink(tail.connector!, { ...info, node: tail.id });

    const checkCanceled = () => this.checkCanceled();
    this.chain = new OperatorChain(env, network, this.counters, this.sink, () => this.gate.interrupt(), checkCanceled);
    this.outputs = this.chain.outputs;
    this.outputChannels = this.chain.outputChannels;
    const parallelism = new Map(plan.vertices.map((v) => [v.id, v.parallelism]));
    this.gate = new InputGate(transport, network.credits);
    for (const edge of plan.edges.filter((e) => e.target === vertex.id)) {
      const sources = edge.partitioner === 'forward' ? [subtask] : [...Array(parallelism.get(edge.source)!).keys()];
      for (const from of sources) {
        this.gate.add(
          new InputChannel(channelId(plan.jobId, plan.attempt, edge.id, from, subtask), plan.slots[from], edge.input),
        );
      }
    }

    this.checkpoints = new SubtaskCheckpointCoordinator(env, this.chain, this.source, this.sink, checkCanceled);
    this.input = this.source
      ? new SourceLoop(this.source, this.chain, this.checkpoints, this.counters, checkCanceled)
      : new StreamInputProcessor(
          this.gate,
          mode === 'exactly-once',
          this.chain,
          this.checkpoints,
          this.counters,
          checkCanceled,
        );
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
    this.checkpoints.trigger(id, terminate);
    return true;
  }

  /** Checkpoint n completed: commit; after a terminal savepoint the task then ends. */
  async checkpointComplete(id: number, terminate = false): Promise<void> {
    try {
      await this.checkpoints.notifyCheckpointComplete(id);
    } catch (err) {
      const failure = new Error(`commit of checkpoint ${id} failed: ${(err as Error).message}`, { cause: err });
      failure.stack = (err as Error).stack;
      return this.fail(failure);
    }
    if (!terminate) return;
    this.checkpoints.stop();
    this.gate.interrupt();
  }

  /**
   * Runs the task. Its final state is reported only once its source and sink are closed (as
   * Flink's Task reports it after releasing its resources): the JobMaster starts the next attempt
   * after that, so nothing of this attempt (a Kafka producer of it, say) acts beside the next one.
   */
  async run(): Promise<void> {
    let final: [TaskState, ErrorInfo?];
    try {
      if (this.env.restoreState) await this.checkpoints.restore(await this.env.restoreState());
      this.running = true;
      this.env.report('RUNNING');
      await this.input.run();
      if (!this.checkpoints.isStopped) await this.chain.endOfInput();
      final = ['FINISHED'];
    } catch (err) {
      if (this.failure) final = ['FAILED', errorInfo(this.failure)];
      else if (this.canceled) final = ['CANCELED'];
      else final = ['FAILED', errorInfo(err)];
    } finally {
      this.running = false;
      this.chain.close();
      await this.source?.close().catch(() => undefined);
      await this.sink?.close().catch(() => undefined);
    }
    this.env.report(...final);
  }

  cancel(): void {
    this.canceled = true;
    this.gate.interrupt();
    this.chain.wakeWritable();
    this.checkpoints.wakeStop();
    this.chain.operators.async.interrupt();
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
}
