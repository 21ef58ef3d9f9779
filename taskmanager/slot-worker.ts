/**
 * One slot: a worker thread running the subtasks deployed into it (with slot sharing, subtask i of
 * every vertex of a job). Its tasks send through a TransportRouter (network/transports.ts: same
 * slot, another slot of this TM, another TM); batches and credits that arrive are handed to the
 * consuming task's input gate or the producing task's output channel here.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { errorInfo, NonRetriableError } from '../common/errors';
import { decodeBatch, type Batch } from '../common/protocol/batch';
import type { TaskCounters } from '../common/protocol/control';
import type { DeploymentPlan, TaskRef } from '../common/plan';
import type { OutputChannel } from './network/channels';
import { PeerSlotTransport, RemoteTransport, SameSlotTransport, TransportRouter } from './network/transports';
import { FunctionRegistry, loadFunctions } from './operators/functions';
import { snapshotPath, writeSnapshotFile } from './checkpoint/state-files';
import { restoreReader } from './checkpoint/restore';
import { StreamTask } from './tasks/stream-task';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-messages';

class Slot {
  /** The task consuming each input channel of this slot. */
  private readonly consumers = new Map<string, StreamTask>();
  private readonly outputs = new Map<string, OutputChannel>();
  private readonly pendingCredits = new Map<string, number>();
  private readonly tasks = new Map<string, StreamTask[]>();
  private readonly functionModules = new Map<string, FunctionRegistry>();
  private readonly transport: TransportRouter;

  constructor(
    private readonly init: WorkerInit,
    private readonly peers: (MessagePort | undefined)[],
    private readonly main: MessagePort,
  ) {
    const local = {
      deliver: (ch: string, batch: Batch) => this.consumers.get(ch)?.gate.deliver(ch, batch),
      credit: (ch: string, n: number) => this.credit(ch, n),
    };
    this.transport = new TransportRouter(
      { tm: init.tmId, slot: init.slot },
      new SameSlotTransport(local),
      new PeerSlotTransport(peers),
      new RemoteTransport(main),
    );
    for (const port of peers) port?.on('message', (m: MainToWorker) => this.onMessage(m));
    setInterval(
      () => this.post({ kind: 'stats', tasks: this.counters(), queuedBytes: this.queuedBytes() }),
      500,
    ).unref();
  }

  private post(m: WorkerToMain, transfer?: ArrayBuffer[]): void {
    this.main.postMessage(m, transfer);
  }

  onMessage(m: MainToWorker): void {
    switch (m.kind) {
      case 'deploy':
        return this.deploy(m.plan, m.tasks, m.functionsPath);
      case 'cancel':
        return this.cancel(m.jobId);
      case 'taskmanager-unreachable':
        for (const t of [...this.tasks.values()].flat()) if (t.usesTaskManager(m.tm)) t.fail(new Error(m.reason));
        return;
      case 'trigger-checkpoint':
        return this.triggerCheckpoint(m.jobId, m.attempt, m.checkpointId, m.terminate);
      case 'checkpoint-complete':
        for (const t of this.tasksOf(m.jobId, m.attempt)) void t.checkpointComplete(m.checkpointId, m.terminate);
        return;
      case 'data':
        return this.data(m.ch, m.payload);
      case 'credit':
        return this.credit(m.ch, m.n);
      case 'peer-port':
        // `peers` is the PeerSlotTransport's array too: sends to that slot take the new port.
        this.peers[m.slot]?.close();
        this.peers[m.slot] = m.port;
        m.port.on('message', (pm: MainToWorker) => this.onMessage(pm));
        return;
    }
  }

  /** A batch from a peer slot or another TM; one that does not decode fails its consumer, nothing else. */
  private data(ch: string, payload: Uint8Array): void {
    const task = this.consumers.get(ch);
    if (!task) return;
    let batch: Batch;
    try {
      batch = decodeBatch(payload);
    } catch (err) {
      task.fail(err as Error);
      return;
    }
    task.gate.deliver(ch, batch);
  }

  /** Credit may arrive before the producer is deployed here; it is kept until then. */
  private credit(ch: string, n: number): void {
    const out = this.outputs.get(ch);
    if (out) out.addCredit(n);
    else this.pendingCredits.set(ch, (this.pendingCredits.get(ch) ?? 0) + n);
  }

  private functionsFor(plan: DeploymentPlan, path: string | undefined): FunctionRegistry {
    const key = `${plan.jobId}/${plan.attempt}`;
    let fns = this.functionModules.get(key);
    if (!fns) {
      try {
        fns = path ? loadFunctions(path) : new FunctionRegistry(undefined);
      } catch (err) {
        if (err instanceof NonRetriableError) throw err;
        // The same bundle fails the same way on every attempt: a job that cannot be deployed.
        throw new NonRetriableError(`the job's functions module failed to load: ${(err as Error).message}`, {
          code: 'FUNCTIONS_LOAD_FAILED',
          cause: err,
        });
      }
      this.functionModules.set(key, fns);
    }
    return fns;
  }

  private deploy(plan: DeploymentPlan, refs: TaskRef[], functionsPath: string | undefined): void {
    const list = this.tasks.get(plan.jobId) ?? [];
    this.tasks.set(plan.jobId, list);
    for (const ref of refs) {
      const vertex = plan.vertices.find((v) => v.id === ref.vertex)!;
      let task: StreamTask | undefined;
      const report: StreamTaskReport = (state, error) =>
        this.post({
          kind: 'task-state',
          jobId: plan.jobId,
          attempt: plan.attempt,
          vertex: ref.vertex,
          subtask: ref.subtask,
          state,
          error,
          counters: state === 'RUNNING' ? undefined : task?.counters,
        });
      try {
        const functions = this.functionsFor(plan, functionsPath);
        const acknowledge = (checkpointId: number, state: Uint8Array) =>
          void this.persist(plan, ref, checkpointId, state);
        const restoreState = restoreReader(plan, vertex, ref);
        task = new StreamTask({
          plan,
          vertex,
          subtask: ref.subtask,
          network: this.init.network,
          transport: this.transport,
          functions,
          report,
          acknowledge,
          restoreState,
        });
      } catch (err) {
        report('FAILED', errorInfo(err));
        continue;
      }
      const started = task;
      list.push(started);
      for (const c of started.outputChannels) {
        this.outputs.set(c.id, c);
        const pending = this.pendingCredits.get(c.id);
        if (pending) {
          this.pendingCredits.delete(c.id);
          c.addCredit(pending);
        }
      }
      for (const ch of started.gate.channelIds()) this.consumers.set(ch, started);
      void started.run().finally(() => this.forget(plan.jobId, started));
    }
  }

  /**
   * Writes a task's snapshot to the checkpoint storage, then acknowledges with its handle (or
   * declines: the checkpoint fails, the job goes on). The task carries on meanwhile.
   */
  private async persist(plan: DeploymentPlan, ref: TaskRef, checkpointId: number, state: Uint8Array): Promise<void> {
    const { jobId, attempt } = plan;
    const { vertex, subtask } = ref;
    try {
      if (!plan.checkpointDir) throw new Error('the deployment names no checkpoint storage');
      const handle = await writeSnapshotFile(snapshotPath(plan.checkpointDir, checkpointId, vertex, subtask), state);
      this.post({ kind: 'ack-checkpoint', jobId, attempt, checkpointId, vertex, subtask, handle });
    } catch (err) {
      this.post({
        kind: 'decline-checkpoint',
        jobId,
        attempt,
        checkpointId,
        vertex,
        subtask,
        reason: `cannot write the snapshot: ${(err as Error).message}`,
      });
    }
  }

  private forget(jobId: string, task: StreamTask): void {
    const list = this.tasks.get(jobId);
    if (!list) return;
    list.splice(list.indexOf(task), 1);
    for (const c of task.outputChannels) this.outputs.delete(c.id);
    for (const ch of task.gate.channelIds()) this.consumers.delete(ch);
    if (list.length === 0) {
      this.tasks.delete(jobId);
      for (const key of this.functionModules.keys()) if (key.startsWith(`${jobId}/`)) this.functionModules.delete(key);
    }
  }

  private tasksOf(jobId: string, attempt: number): StreamTask[] {
    return (this.tasks.get(jobId) ?? []).filter((t) => t.counters.attempt === attempt);
  }

  private triggerCheckpoint(jobId: string, attempt: number, checkpointId: number, terminate?: boolean): void {
    for (const t of this.tasksOf(jobId, attempt).filter((t) => t.isSource)) {
      if (t.triggerCheckpoint(checkpointId, terminate)) continue;
      const { vertex, subtask } = t.counters;
      this.post({
        kind: 'decline-checkpoint',
        jobId,
        attempt,
        checkpointId,
        vertex,
        subtask,
        reason: `source ${vertex}[${subtask}] is not running`,
      });
    }
  }

  private cancel(jobId: string): void {
    for (const t of this.tasks.get(jobId) ?? []) t.cancel();
    for (const ch of this.pendingCredits.keys()) if (ch.startsWith(`${jobId}/`)) this.pendingCredits.delete(ch);
  }

  private counters(): TaskCounters[] {
    return [...this.tasks.values()].flat().map((t) => ({ ...t.counters }));
  }

  private queuedBytes(): number {
    let n = 0;
    for (const t of [...this.tasks.values()].flat()) n += t.gate.queuedBytes;
    return n;
  }
}

type StreamTaskReport = ConstructorParameters<typeof StreamTask>[0]['report'];

if (!isMainThread && parentPort) {
  const init = workerData as WorkerInit;
  const main = parentPort;
  main.once('message', (peers: (MessagePort | undefined)[]) => {
    const slot = new Slot(init, peers, main as unknown as MessagePort);
    main.on('message', (m: MainToWorker) => slot.onMessage(m));
    main.postMessage({ kind: 'ready' } satisfies WorkerToMain);
  });
}
