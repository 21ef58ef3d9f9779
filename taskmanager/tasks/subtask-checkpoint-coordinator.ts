/**
 * A task's side of checkpoints (Flink's SubtaskCheckpointCoordinator): restore the state it was
 * deployed with, snapshot for checkpoint n (source position, keyed state, async and operator
 * state, sink state), pass barrier n on behind what the task sent before it, acknowledge; on
 * completion commit the sink and source. A source takes a checkpoint when triggered, between two
 * reads; a terminal one (stop-with-savepoint) ends the task once it completed.
 */
import { encodeSnapshot, type TaskSnapshot } from '../../common/protocol/snapshot';
import { operatorUid } from '../../common/operator-uids';
import type { SinkWriter, SourceReader } from '../connectors/types';
import type { RestoredState } from '../checkpoint/restore';
import type { Chain } from '../operators/operators';
import type { OperatorChain } from './operator-chain';
import type { TaskEnvironment } from './task-environment';

/** What a snapshot holds of a chain's operators, by uid: keyed state, asyncMap queues, timers with the watermark and other operator state. */
export type OperatorsSnapshot = Pick<TaskSnapshot, 'keyed' | 'async' | 'operators'>;

/**
 * Snapshot the operators of a chain (a task's, or the test harness's: flinkx/testing snapshots
 * through here, so that it holds what a checkpoint does).
 */
export function snapshotOperators(operators: Chain): OperatorsSnapshot {
  // Mini-batch bundles go into state and downstream first: ahead of the barrier, out of the snapshot.
  operators.flush();
  const snapshot: OperatorsSnapshot = { keyed: {} };
  for (const [node, state] of operators.states) snapshot.keyed[node] = state.snapshot();
  snapshot.async = operators.async.snapshot();
  if (operators.operatorStates.size > 0) snapshot.operators = {};
  for (const [node, state] of operators.operatorStates) snapshot.operators![node] = state.snapshot();
  return snapshot;
}

/** Restore what `snapshotOperators` took; keyed state first, which a window's restore counts. */
export function restoreOperators(operators: Chain, state: OperatorsSnapshot): void {
  for (const [uid, keyed] of Object.entries(state.keyed)) operators.states.get(uid)?.restore(keyed);
  operators.async.restore(state.async);
  for (const [uid, s] of Object.entries(state.operators ?? {})) operators.operatorStates.get(uid)?.restore(s);
}

export class SubtaskCheckpointCoordinator {
  /** Checkpoint a source was asked to take at its next chance. */
  private triggered: number | undefined;
  /** The terminal savepoint this task was asked to stop with; set once it completed, the task ends. */
  private stopWith: number | undefined;
  private stopped = false;
  private stopWaiter: (() => void) | undefined;

  constructor(
    private readonly env: TaskEnvironment,
    private readonly chain: OperatorChain,
    private readonly source: SourceReader | undefined,
    private readonly sink: SinkWriter | undefined,
    private readonly checkCanceled: () => void,
  ) {}

  /** Whether the terminal savepoint completed: the task ends without ending its input. */
  get isStopped(): boolean {
    return this.stopped;
  }

  async restore(state: RestoredState): Promise<void> {
    const { vertex, plan } = this.env;
    const head = vertex.nodes[0];
    const tail = vertex.nodes[vertex.nodes.length - 1];
    if (state.source && state.source.uid === operatorUid(head)) this.source?.restore(state.source.position);
    restoreOperators(this.chain.operators, state);
    const sinks = state.sinks.filter((s) => s.uid === operatorUid(tail));
    for (const s of sinks.length > 0 ? sinks : [{ state: null }])
      await this.sink?.restore(s.state, plan.restoredCheckpoint!);
  }

  /** A source is asked for checkpoint n at its next chance; with `terminate` it reads nothing after it. */
  trigger(id: number, terminate: boolean): void {
    this.triggered = Math.max(id, this.triggered ?? 0);
    if (terminate) this.stopWith = id;
  }

  /** The checkpoint a source was triggered for, if any, taken from the queue. */
  takeTriggered(): number | undefined {
    const id = this.triggered;
    this.triggered = undefined;
    return id;
  }

  /** Whether checkpoint n is the terminal savepoint this task stops with. */
  stopsWith(id: number): boolean {
    return this.stopWith === id;
  }

  /** Snapshot this task for checkpoint n, pass the barrier on, acknowledge. */
  async checkpoint(id: number): Promise<void> {
    const head = this.env.vertex.nodes[0];
    const operators = snapshotOperators(this.chain.operators);
    const source = this.source && { uid: operatorUid(head), position: this.source.position(id) };
    const snapshot: Omit<TaskSnapshot, 'version'> = { ...(source && { source }), ...operators };
    for (const c of this.chain.outputChannels) c.seal({ kind: 'barrier', id });
    if (this.sink) {
      await this.chain.flushSink();
      const tail = this.env.vertex.nodes[this.env.vertex.nodes.length - 1];
      snapshot.sink = { uid: operatorUid(tail), state: await this.sink.snapshot(id) };
    }
    this.env.acknowledge(id, encodeSnapshot(snapshot));
  }

  /** Checkpoint n completed: commit the sink's and the source's part of it. */
  async notifyCheckpointComplete(id: number): Promise<void> {
    await this.sink?.commit(id);
    await this.source?.commit?.(id);
  }

  /** The terminal savepoint completed: the task ends (a source waiting for it goes on). */
  stop(): void {
    this.stopped = true;
    this.stopWaiter?.();
  }

  /** After its terminal savepoint a source waits, reading nothing, until the savepoint completes (or a cancel). */
  async awaitStop(): Promise<void> {
    while (!this.stopped) {
      this.checkCanceled();
      await new Promise<void>((resolve) => (this.stopWaiter = resolve));
      this.stopWaiter = undefined;
    }
  }

  /** A cancel: the wait for the savepoint's completion ends (and then sees the cancel). */
  wakeStop(): void {
    this.stopWaiter?.();
  }
}
