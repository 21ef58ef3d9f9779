/**
 * The deployment of one attempt of a job: the plan every TaskManager gets (common/plan.ts) and,
 * per TaskManager, the subtasks it runs, each with what it restores (./checkpoint/restore-state.ts).
 */
import type { JobSpec } from '../common/jobfile';
import type { DeploymentPlan, SlotRef, TaskRef } from '../common/plan';
import type { RestoreState } from './checkpoint/restore-state';
import { taskRestore } from './checkpoint/restore-state';
import type { ExecutionGraph } from './compiler';

export interface AttemptOf {
  id: string;
  attempt: number;
  spec: JobSpec;
  functionsCode: string | undefined;
  execution: ExecutionGraph;
  checkpointDir: string | undefined;
}

export function deployment(
  job: AttemptOf,
  slots: SlotRef[],
  peers: Record<string, string>,
  restore: RestoreState | undefined,
): { plan: DeploymentPlan; tasks: Map<string, TaskRef[]> } {
  const { jobGraph, subtasks } = job.execution;
  const plan: DeploymentPlan = {
    jobId: job.id,
    attempt: job.attempt,
    name: job.spec.name,
    maxParallelism: jobGraph.maxParallelism,
    vertices: jobGraph.vertices,
    edges: jobGraph.edges,
    slots,
    peers,
    functionsCode: job.functionsCode,
    checkpointing: job.spec.checkpointing,
    miniBatch: job.spec.miniBatch,
    ...(job.checkpointDir && { checkpointDir: job.checkpointDir }),
    ...(restore && { restoredCheckpoint: restore.checkpointId }),
  };
  const tasks = new Map<string, TaskRef[]>(Object.keys(peers).map((tm) => [tm, []]));
  for (const t of subtasks)
    tasks.get(slots[t.subtask].tm)?.push({ ...t, ...taskRestore(restore, t.vertex, t.subtask) });
  return { plan, tasks };
}
