/**
 * Slots of the registered TaskManagers. Allocation spreads a job's slots across TMs (one from each
 * TM in turn) so a job's subtasks and its load land on every worker host.
 */
import type { SlotRef } from '../../common/plan';

export class SlotPool {
  /** tm → owner job id per slot (undefined = free). */
  private readonly slots = new Map<string, (string | undefined)[]>();

  addTaskManager(tm: string, count: number): void {
    this.slots.set(tm, new Array<string | undefined>(count).fill(undefined));
  }

  /** Remove a TM; returns the jobs that had slots on it. */
  removeTaskManager(tm: string): Set<string> {
    const owners = new Set((this.slots.get(tm) ?? []).filter((o): o is string => o !== undefined));
    this.slots.delete(tm);
    return owners;
  }

  get free(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.filter((o) => o === undefined).length;
    return n;
  }

  get total(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.length;
    return n;
  }

  usage(tm: string): { total: number; free: number } {
    const s = this.slots.get(tm) ?? [];
    return { total: s.length, free: s.filter((o) => o === undefined).length };
  }

  /** `n` slots for `job`, round-robin over TMs, or undefined (and nothing taken) if too few are free. */
  allocate(job: string, n: number): SlotRef[] | undefined {
    if (this.free < n) return undefined;
    const refs: SlotRef[] = [];
    const tms = [...this.slots.keys()].sort();
    while (refs.length < n) {
      for (const tm of tms) {
        const s = this.slots.get(tm)!;
        const slot = s.indexOf(undefined);
        if (slot >= 0 && refs.length < n) {
          s[slot] = job;
          refs.push({ tm, slot });
        }
      }
    }
    return refs;
  }

  release(job: string): void {
    for (const s of this.slots.values()) for (let i = 0; i < s.length; i++) if (s[i] === job) s[i] = undefined;
  }
}
