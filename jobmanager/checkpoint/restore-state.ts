/**
 * What a (re)started attempt of a job deploys with: the latest completed checkpoint; before the
 * job's first one, the savepoint it was submitted with; else nothing (it starts from scratch).
 */
import { Logger } from '../../common/log';
import type { PriorSnapshot, StateHandle } from '../../common/plan';
import type { ErrorInfo } from '../../common/protocol/control';
import type { CheckpointCoordinator } from './checkpoint-coordinator';
import type { SavepointRestore } from './savepoint-restore';

export interface RestoreState {
  /** The checkpoint (or the savepoint's checkpoint) id: sinks restore to it. */
  checkpointId: number;
  /** A checkpoint: every task's own snapshot, keyed `<vertex>/<subtask>`. */
  handles?: Map<string, StateHandle>;
  /** A savepoint: per task, the old snapshots its state is cut from. */
  priors?: Map<string, PriorSnapshot[]>;
  /** Set for a savepoint: its path, for the logs. */
  savepoint?: string;
}

export async function stateToRestore(
  checkpoints: CheckpointCoordinator | undefined,
  savepoint: SavepointRestore | undefined,
): Promise<RestoreState | undefined> {
  const checkpoint = await checkpoints?.latestForRestore();
  if (checkpoint) return { checkpointId: checkpoint.metadata.checkpointId, handles: checkpoint.handles() };
  if (savepoint) return { checkpointId: savepoint.checkpointId, priors: savepoint.priors, savepoint: savepoint.path };
  return undefined;
}

const log = new Logger('jobmaster');

/** stateToRestore, logged; a failure to load is the job's failure (starting from scratch would silently break its guarantees). */
export async function loadRestore(
  jobId: string,
  attempt: number,
  checkpoints: CheckpointCoordinator | undefined,
  savepoint: SavepointRestore | undefined,
): Promise<{ restore: RestoreState | undefined } | { failure: ErrorInfo }> {
  let restore: RestoreState | undefined;
  try {
    restore = await stateToRestore(checkpoints, savepoint);
  } catch (err) {
    const failure = { message: `cannot load the latest checkpoint: ${(err as Error).message}` };
    log.error('restore failed', { job: jobId, attempt, reason: failure.message });
    return { failure };
  }
  if (restore)
    log.info(`restoring from ${restore.savepoint ? 'savepoint' : 'checkpoint'}`, {
      job: jobId,
      attempt,
      checkpoint: restore.checkpointId,
      ...(restore.savepoint && { savepoint: restore.savepoint }),
    });
  else log.info('no completed checkpoint: the attempt starts from scratch', { job: jobId, attempt });
  return { restore };
}

/** The restore part of a task's deployment. */
export function taskRestore(
  restore: RestoreState | undefined,
  vertex: string,
  subtask: number,
): { state?: StateHandle; priors?: PriorSnapshot[] } {
  const key = `${vertex}/${subtask}`;
  const state = restore?.handles?.get(key);
  if (state) return { state };
  const priors = restore?.priors?.get(key);
  return priors ? { priors } : {};
}
