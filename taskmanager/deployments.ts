/**
 * The TaskManager main thread's own record of what it runs: every attempt deployed here with its
 * tasks that have not ended yet, the peer TMs it exchanges data with, and the peers whose data
 * connection it lost (its cut-offs). Kept from deploy frames and the tasks' final states, not from
 * the workers' periodic stats, so a task deployed a moment ago is in it (Flink's TaskSlotTable).
 *
 * A cut-off belongs to its attempt: it goes when the attempt's last task here ends, so a later
 * deployment under the same attempt number starts with none.
 */
import { Logger } from '../common/log';
import { attemptPrefix, type TaskRef } from '../common/plan';
import type { TaskState } from '../common/protocol/control';

const log = new Logger('taskmanager');

const ENDED: ReadonlySet<TaskState> = new Set(['FINISHED', 'FAILED', 'CANCELED']);

interface Deployment {
  jobId: string;
  attempt: number;
  /** Every task here that has not reported a final state, by `<vertex>/<subtask>`. */
  tasks: Map<string, UnendedTask>;
  /** Peer TMs named in the plan. */
  peers: Set<string>;
  /** Peers whose data connection broke while this attempt ran: no frame of it goes to or comes from them. */
  cutOff: Set<string>;
  /** Cut-off peers whose dropped frames were logged (once per peer, not per frame). */
  dropLogged: Set<string>;
}

export interface UnendedTask {
  jobId: string;
  attempt: number;
  vertex: string;
  subtask: number;
  slot: number;
}

export class Deployments {
  /** By attempt prefix (`<jobId>/<attempt>/`, the channel-id prefix). */
  private readonly byPrefix = new Map<string, Deployment>();
  /** Attempts of a lost JobManager, cancelled here, whose tasks have not all ended yet. */
  private readonly orphans = new Set<string>();
  private orphansEnded: (() => void)[] = [];
  /** Cut-off (attempt, peer) pairs on record: while none, a frame needs no look-up (isCutOff runs per frame). */
  private cutOffs = 0;

  deployed(
    jobId: string,
    attempt: number,
    peers: Iterable<string>,
    tasks: readonly TaskRef[],
    slotOf: (t: TaskRef) => number,
  ): void {
    const prefix = attemptPrefix(jobId, attempt);
    let d = this.byPrefix.get(prefix);
    if (!d) {
      d = { jobId, attempt, tasks: new Map(), peers: new Set(), cutOff: new Set(), dropLogged: new Set() };
      this.byPrefix.set(prefix, d);
    }
    for (const tm of peers) d.peers.add(tm);
    for (const t of tasks) {
      d.tasks.set(`${t.vertex}/${t.subtask}`, {
        jobId,
        attempt,
        vertex: t.vertex,
        subtask: t.subtask,
        slot: slotOf(t),
      });
    }
  }

  /** A task reported `state`; a final one takes it off the record, and its attempt with its last task. */
  taskState(jobId: string, attempt: number, vertex: string, subtask: number, state: TaskState): void {
    if (!ENDED.has(state)) return;
    const prefix = attemptPrefix(jobId, attempt);
    const d = this.byPrefix.get(prefix);
    if (!d) return;
    d.tasks.delete(`${vertex}/${subtask}`);
    if (d.tasks.size > 0) return;
    this.byPrefix.delete(prefix);
    this.cutOffs -= d.cutOff.size;
    if (!this.orphans.delete(prefix) || this.orphans.size > 0) return;
    log.info('every task of the lost JobManager ended');
    for (const resolve of this.orphansEnded.splice(0)) resolve();
  }

  /** Resolves once no task of a lost JobManager runs here any more. */
  orphansGone(): Promise<void> {
    if (this.orphans.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.orphansEnded.push(resolve));
  }

  /** The jobs with a task here, for a JobManager that is gone; their attempts are watched until they ended. */
  orphan(): string[] {
    for (const prefix of this.byPrefix.keys()) this.orphans.add(prefix);
    return [...new Set([...this.byPrefix.values()].map((d) => d.jobId))];
  }

  /** Every task of `jobId` here that has not ended, with its slot. */
  unended(jobId: string): UnendedTask[] {
    return [...this.byPrefix.values()].filter((d) => d.jobId === jobId).flatMap((d) => [...d.tasks.values()]);
  }

  /** Every task here in `slot` that has not ended. */
  inSlot(slot: number): UnendedTask[] {
    return [...this.byPrefix.values()].flatMap((d) => [...d.tasks.values()]).filter((t) => t.slot === slot);
  }

  /** The peer TMs named by an attempt that still has a task here. */
  peersInUse(): Set<string> {
    return new Set([...this.byPrefix.values()].flatMap((d) => [...d.peers]));
  }

  /** Number of tasks here that have not ended. */
  get taskCount(): number {
    let n = 0;
    for (const d of this.byPrefix.values()) n += d.tasks.size;
    return n;
  }

  /** The data connection with `tm` broke: every attempt here that spans `tm` is cut off from it. */
  cut(tm: string): void {
    for (const d of this.byPrefix.values()) {
      if (d.peers.has(tm) && !d.cutOff.has(tm)) {
        d.cutOff.add(tm);
        this.cutOffs++;
      }
    }
  }

  /**
   * Whether a frame of channel `ch` to or from `tm` is dropped because its attempt lost `tm`. The
   * first drop per attempt and peer is logged.
   */
  isCutOff(tm: string, ch: string): boolean {
    if (this.cutOffs === 0) return false;
    const attemptEnd = ch.indexOf('/', ch.indexOf('/') + 1);
    const d = this.byPrefix.get(ch.slice(0, attemptEnd + 1));
    if (!d?.cutOff.has(tm)) return false;
    if (!d.dropLogged.has(tm)) {
      d.dropLogged.add(tm);
      log.warn('dropping data frames of an attempt that lost its data connection with a peer', {
        job: d.jobId,
        attempt: d.attempt,
        peer: tm,
      });
    }
    return true;
  }
}
