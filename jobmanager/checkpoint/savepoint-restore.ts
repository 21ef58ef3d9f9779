/**
 * Matching a savepoint's state to a job's operators by uid, and which old snapshots each new
 * subtask restores from (the tasks cut their state out of them: taskmanager/checkpoint/rescale.ts).
 * Refused, as Flink refuses: another maxParallelism (key groups would not line up), or state of
 * a uid no operator of the job has, unless the job allows non-restored state.
 */
import { SavepointRestoreError } from '../../common/errors';
import { statefulUids } from '../../common/operator-uids';
import type { PlanVertex, PriorSnapshot } from '../../common/plan';
import type { SavepointTask } from '../../common/protocol/snapshot';
import { keyGroupRange } from '../../common/key-groups';
import type { LoadedSavepoint } from './savepoint-storage';
import { join } from 'node:path';

/** What the first attempt of a job restored from a savepoint deploys with. */
export interface SavepointRestore {
  path: string;
  checkpointId: number;
  /** Per `<vertex>/<subtask>` of the new job: the old snapshots it takes state from. */
  priors: Map<string, PriorSnapshot[]>;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start <= b.end && b.start <= a.end;

export function planSavepointRestore(
  savepoint: LoadedSavepoint,
  job: { vertices: PlanVertex[]; maxParallelism: number },
  allowNonRestoredState: boolean,
): SavepointRestore {
  const { metadata: m, dir } = savepoint;
  if (m.maxParallelism !== job.maxParallelism) {
    throw new SavepointRestoreError(
      `the savepoint ${dir} was taken with maxParallelism ${m.maxParallelism} and the job has ${job.maxParallelism}: ` +
        "keyed state is split into maxParallelism key groups, so it must not change; set the job's maxParallelism to " +
        m.maxParallelism,
    );
  }
  const jobUids = new Set(job.vertices.flatMap((v) => statefulUids(v.nodes)));
  const unmatched = [...new Set(m.tasks.flatMap((t) => t.uids))].filter((u) => !jobUids.has(u)).sort();
  if (unmatched.length > 0 && !allowNonRestoredState) {
    throw new SavepointRestoreError(
      `the savepoint ${dir} has state for operators that are not in the job: uid ${unmatched.map((u) => `"${u}"`).join(', ')}. ` +
        'Give the operators that should take it these uids, or pass --allow-non-restored-state to drop that state',
    );
  }
  const priors = new Map<string, PriorSnapshot[]>();
  for (const v of job.vertices) {
    const uids = new Set(statefulUids(v.nodes));
    const hasSource = v.nodes[0].type === 'source';
    const old = m.tasks.filter((t) => t.uids.some((u) => uids.has(u)));
    for (let i = 0; i < v.parallelism; i++) {
      const range = keyGroupRange(m.maxParallelism, v.parallelism, i);
      // Keyed state comes from the old subtasks whose key groups overlap; split state from j mod p;
      // a source may take the union of all (Kafka), so it reads them all.
      const wanted = (t: SavepointTask) =>
        hasSource ||
        t.subtask % v.parallelism === i ||
        overlaps(range, keyGroupRange(m.maxParallelism, t.parallelism, t.subtask));
      const list = old.filter(wanted).map((t) => ({
        subtask: t.subtask,
        parallelism: t.parallelism,
        handle: { path: join(dir, t.file), size: t.size, sha256: t.sha256 },
      }));
      if (list.length > 0) priors.set(`${v.id}/${i}`, list);
    }
  }
  return { path: dir, checkpointId: m.checkpointId, priors };
}
