/**
 * Reading what a task restores: its own snapshot of a checkpoint, or (a savepoint) the snapshots of
 * the old subtasks its state is cut from (./rescale.ts). Every file is checked against its handle.
 */
import { CorruptCheckpointError, NonRetriableError, SnapshotFormatError } from '../../common/errors';
import type { DeploymentPlan, PlanVertex, TaskRef } from '../../common/plan';
import { decodeSnapshot } from '../../common/protocol/snapshot';
import { asRestored, rescale, type RestoredState } from './rescale';
import { readSnapshotFile } from './state-files';

export type { RestoredState };

export function restoreReader(
  plan: DeploymentPlan,
  vertex: PlanVertex,
  ref: TaskRef,
): (() => Promise<RestoredState>) | undefined {
  const { state, priors } = ref;
  if (state) {
    return async () => {
      const bytes = await readSnapshotFile(state);
      try {
        return asRestored(decodeSnapshot(bytes, `snapshot ${state.path}`));
      } catch (err) {
        // Unreadable although its checksum matched: the checkpoint before it is tried.
        throw err instanceof SnapshotFormatError ? new CorruptCheckpointError(err.message, err) : err;
      }
    };
  }
  if (!priors) return undefined;
  return async () => {
    try {
      const snapshots = await Promise.all(
        priors.map(async (p) => ({
          ...p,
          snapshot: decodeSnapshot(await readSnapshotFile(p.handle), `savepoint file ${p.handle.path}`),
        })),
      );
      const head = vertex.nodes[0];
      return rescale(snapshots, {
        subtask: ref.subtask,
        parallelism: vertex.parallelism,
        maxParallelism: plan.maxParallelism,
        source: head.type === 'source' ? head.connector : undefined,
      });
    } catch (err) {
      // A savepoint does not get better by retrying, and starting without it would lose its state.
      throw new NonRetriableError(`cannot restore the savepoint: ${(err as Error).message}`, {
        code: 'SAVEPOINT_RESTORE',
        cause: err,
      });
    }
  };
}
