/**
 * One submitted job: its graphs, its state, where each subtask runs, and what happened to it.
 * The dispatcher gives it slots; it deploys, follows task states, restarts or fails.
 */
import type { JobSpec, RestartSpec } from '../common/jobfile';
import type { ErrorInfo, TaskCounters, TaskState } from '../common/protocol/control';
import type { DeploymentPlan, SlotRef } from '../common/plan';
import type { CheckpointCoordinator } from './checkpoint/checkpoint-coordinator';
import type { SnapshotBytes } from './checkpoint/checkpoint-storage';
import { buildExecutionGraph, buildJobGraph, type ExecutionGraph } from './compiler';
import { createRestartStrategy, effectiveRestart, type RestartStrategy } from './failover/restart-strategy';
import { canTransition, isTerminal, type JobState } from './job-state';
import type { RegisteredTaskManager } from './scheduler/tm-registry';

interface SubtaskStatus {
  vertex: string;
  subtask: number;
  state: TaskState | 'SCHEDULED';
  slot?: SlotRef;
  error?: ErrorInfo;
}

interface Throughput {
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  backPressuredMs: number;
  busyMs: number;
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  at: number;
}

export interface JobException {
  time: number;
  attempt: number;
  task?: string;
  message: string;
  stack?: string;
}

/** The completed checkpoint an attempt starts from: its id and every task's snapshot bytes. */
export interface RestoreState {
  attempt: number;
  checkpointId: number;
  states: Map<string, SnapshotBytes>;
}

export class JobMaster {
  readonly execution: ExecutionGraph;
  /** The job's `restart` block, or the default for it. */
  readonly restart: RestartSpec;
  readonly restartStrategy: RestartStrategy;
  state: JobState = 'CREATED';
  /** Why a CREATED job is not running yet, or why it ended. */
  reason: string | undefined;
  attempt = 0;
  restarts = 0;
  slots: SlotRef[] | undefined;
  failure: ErrorInfo | undefined;
  readonly exceptions: JobException[] = [];
  readonly createdAt = Date.now();
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** Set by the dispatcher for a job with `checkpointing`; lives as long as the job. */
  checkpoints: CheckpointCoordinator | undefined;
  /** True while the checkpoint to restore is being loaded: the job stays CREATED meanwhile. */
  restoring = false;
  restore: RestoreState | undefined;
  private subtasks = new Map<string, SubtaskStatus>();
  private readonly throughput = new Map<string, Throughput>();

  constructor(
    readonly id: string,
    readonly spec: JobSpec,
    readonly functionsCode: string | undefined,
    private readonly onStateChange: (job: JobMaster) => void,
  ) {
    this.execution = buildExecutionGraph(buildJobGraph(spec));
    this.restart = effectiveRestart(spec);
    this.restartStrategy = createRestartStrategy(this.restart);
  }

  get slotsNeeded(): number {
    return this.execution.slotsNeeded;
  }

  transition(to: JobState, reason?: string): void {
    if (!canTransition(this.state, to)) return;
    this.state = to;
    this.reason = reason;
    if (isTerminal(to)) this.endedAt = Date.now();
    this.onStateChange(this);
  }

  /** The plan for this attempt on the given slots, and which tasks each TM runs. */
  deploy(slots: SlotRef[], tms: Map<string, RegisteredTaskManager>): void {
    this.slots = slots;
    const jobGraph = this.execution.jobGraph;
    const plan: DeploymentPlan = {
      jobId: this.id,
      attempt: this.attempt,
      name: this.spec.name,
      maxParallelism: jobGraph.maxParallelism,
      vertices: jobGraph.vertices,
      edges: jobGraph.edges,
      slots,
      peers: Object.fromEntries([...new Set(slots.map((s) => s.tm))].map((tm) => [tm, tms.get(tm)!.dataAddress])),
      functionsCode: this.functionsCode,
      checkpointing: this.spec.checkpointing,
    };
    const restore = this.restore?.attempt === this.attempt ? this.restore : undefined;
    this.restore = undefined; // the bytes travel with the deploy frames; no need to hold them
    if (restore) plan.restoredCheckpoint = restore.checkpointId;
    this.subtasks = new Map(
      this.execution.subtasks.map((t) => [`${t.vertex}/${t.subtask}`, { ...t, state: 'SCHEDULED' as const, slot: slots[t.subtask] }]),
    );
    this.startedAt ??= Date.now();
    this.transition('RUNNING');
    for (const tm of new Set(slots.map((s) => s.tm))) {
      const tasks = this.execution.subtasks
        .filter((t) => slots[t.subtask].tm === tm)
        .map((t) => {
          const state = restore?.states.get(`${t.vertex}/${t.subtask}`);
          return state ? { ...t, state } : t;
        });
      tms.get(tm)!.send({ t: 'deploy', plan, tasks });
    }
  }

  /** Apply a task's report; returns the failure if this report failed the attempt. */
  taskState(attempt: number, vertex: string, subtask: number, state: TaskState, error?: ErrorInfo, counters?: TaskCounters): ErrorInfo | undefined {
    if (attempt !== this.attempt) return undefined;
    if (counters) this.updateCounters([counters], true);
    const st = this.subtasks.get(`${vertex}/${subtask}`);
    if (!st) return undefined;
    st.state = state;
    st.error = error;
    if (state === 'FAILED' && this.state === 'RUNNING') {
      const failure = error ?? { message: `task ${vertex}[${subtask}] failed` };
      this.exceptions.push({ time: Date.now(), attempt, task: `${vertex}[${subtask}]`, ...failure });
      return failure;
    }
    this.settle();
    return undefined;
  }

  /** FINISHED when every task finished; CANCELED when a cancelled job has no task left running. */
  settle(): void {
    const states = [...this.subtasks.values()].map((s) => s.state);
    if (this.state === 'RUNNING' && states.every((s) => s === 'FINISHED')) this.transition('FINISHED');
    if (this.state === 'CANCELLING' && states.every((s) => s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED')) {
      this.transition('CANCELED');
    }
  }

  /** Every subtask not yet ended is marked CANCELED (its TM is gone or the attempt is over). */
  abandonTasks(onTm?: string): void {
    for (const st of this.subtasks.values()) {
      if ((!onTm || st.slot?.tm === onTm) && !['FINISHED', 'FAILED', 'CANCELED'].includes(st.state)) st.state = 'CANCELED';
    }
  }

  /** The job is RUNNING and every subtask of this attempt is RUNNING: a checkpoint can be taken. */
  allTasksRunning(): boolean {
    return this.state === 'RUNNING' && this.subtasks.size > 0 && [...this.subtasks.values()].every((s) => s.state === 'RUNNING');
  }

  /** The TaskManagers that host a subtask of this attempt. */
  taskManagers(): string[] {
    return [...new Set(this.slots?.map((s) => s.tm))];
  }

  runsOn(tm: string): boolean {
    return !isTerminal(this.state) && (this.slots?.some((s) => s.tm === tm) ?? false);
  }

  /**
   * Counters from heartbeats (up to a report interval old), or the final ones a task sent with its
   * terminal state: a stale heartbeat must not overwrite those.
   */
  updateCounters(counters: TaskCounters[], final = false): void {
    const now = Date.now();
    for (const c of counters) {
      if (c.jobId !== this.id || c.attempt !== this.attempt) continue;
      const key = `${c.vertex}/${c.subtask}`;
      const state = this.subtasks.get(key)?.state;
      if (!final && (state === 'FINISHED' || state === 'FAILED' || state === 'CANCELED')) continue;
      const prev = this.throughput.get(key);
      const dt = prev ? (now - prev.at) / 1000 : 0;
      this.throughput.set(key, {
        recordsIn: c.recordsIn,
        recordsOut: c.recordsOut,
        bytesIn: c.bytesIn,
        backPressuredMs: c.backPressuredMs,
        busyMs: c.busyMs,
        recordsInPerSecond: prev && dt > 0 ? Math.max(0, (c.recordsIn - prev.recordsIn) / dt) : 0,
        recordsOutPerSecond: prev && dt > 0 ? Math.max(0, (c.recordsOut - prev.recordsOut) / dt) : 0,
        at: now,
      });
    }
  }

  summary() {
    return {
      id: this.id,
      name: this.spec.name,
      state: this.state,
      reason: this.reason,
      parallelism: this.slotsNeeded,
      restarts: this.restarts,
      createdAt: this.createdAt,
      startTime: this.startedAt,
      endTime: this.endedAt,
      duration: (this.endedAt ?? Date.now()) - (this.startedAt ?? this.createdAt),
    };
  }

  details() {
    const jobGraph = this.execution.jobGraph;
    return {
      ...this.summary(),
      attempt: this.attempt,
      maxParallelism: jobGraph.maxParallelism,
      checkpointing: this.spec.checkpointing,
      restartStrategy: this.restart,
      checkpoints: this.checkpoints?.summary() ?? { latestCompleted: null, completed: 0, failed: 0, latestCompletedAt: null, latestCompletedSize: null },
      failure: this.failure,
      vertices: jobGraph.vertices.map((v) => {
        const subtasks = [...this.subtasks.values()]
          .filter((s) => s.vertex === v.id)
          .map((s) => ({ index: s.subtask, state: s.state, tm: s.slot?.tm, slot: s.slot?.slot, error: s.error, metrics: this.throughput.get(`${v.id}/${s.subtask}`) }));
        const sum = (f: (t: Throughput) => number) => subtasks.reduce((n, s) => n + (s.metrics ? f(s.metrics) : 0), 0);
        return {
          id: v.id,
          name: v.name,
          parallelism: v.parallelism,
          nodes: v.nodes.map((n) => ({ id: n.id, type: n.type })),
          recordsIn: sum((t) => t.recordsIn),
          recordsOut: sum((t) => t.recordsOut),
          recordsInPerSecond: sum((t) => t.recordsInPerSecond),
          recordsOutPerSecond: sum((t) => t.recordsOutPerSecond),
          backPressuredMs: sum((t) => t.backPressuredMs),
          subtasks,
        };
      }),
      edges: jobGraph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, partitioner: e.partitioner, keyBy: e.keyBy })),
      exceptions: this.exceptions,
    };
  }
}
