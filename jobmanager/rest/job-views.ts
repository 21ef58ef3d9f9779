/** What `GET /jobs` and `GET /jobs/:id` answer about a job (shapes: common/protocol/rest.ts). */
import type { JobDetails, JobSummary, Throughput } from '../../common/protocol/rest';
import type { JobMaster } from '../job-master';

export function jobSummary(job: JobMaster, now = Date.now()): JobSummary {
  return {
    id: job.id,
    name: job.spec.name,
    state: job.state,
    reason: job.reason,
    parallelism: job.slotsNeeded,
    restarts: job.restarts,
    createdAt: job.createdAt,
    startTime: job.startedAt,
    endTime: job.endedAt,
    duration: (job.endedAt ?? now) - (job.startedAt ?? job.createdAt),
  };
}

/** Min over the subtasks' watermarks; undefined while any subtask has none (it holds event time back). */
export function vertexWatermark(subtasks: readonly { metrics?: Throughput }[]): number | undefined {
  let min: number | undefined;
  for (const s of subtasks) {
    const w = s.metrics?.watermark;
    if (w === undefined) return undefined;
    min = Math.min(min ?? w, w);
  }
  return min;
}

export function jobDetails(job: JobMaster, now = Date.now()): JobDetails {
  const jobGraph = job.execution.jobGraph;
  const subtasks = job.tasks.list();
  return {
    ...jobSummary(job, now),
    attempt: job.attempt,
    maxParallelism: jobGraph.maxParallelism,
    checkpointing: job.spec.checkpointing,
    restartStrategy: job.restart,
    checkpoints: job.checkpoints?.summary() ?? {
      latestCompleted: null,
      completed: 0,
      failed: 0,
      latestCompletedAt: null,
      latestCompletedSize: null,
    },
    failure: job.failure,
    vertices: jobGraph.vertices.map((v) => {
      const own = subtasks
        .filter((s) => s.vertex === v.id)
        .map((s) => ({
          index: s.subtask,
          state: s.state,
          tm: s.slot?.tm,
          slot: s.slot?.slot,
          error: s.error,
          metrics: job.tasks.metrics(v.id, s.subtask),
        }));
      const sum = (f: (t: Throughput) => number) => own.reduce((n, s) => n + (s.metrics ? f(s.metrics) : 0), 0);
      const watermark = vertexWatermark(own);
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
        watermark,
        watermarkLag: watermark === undefined ? undefined : now - watermark,
        subtasks: own,
      };
    }),
    edges: jobGraph.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      partitioner: e.partitioner,
      keyBy: e.keyBy,
    })),
    exceptions: job.exceptions,
  };
}
