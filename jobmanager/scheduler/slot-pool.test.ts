import { SlotPool } from './slot-pool';

function pool(tms: Record<string, number>): SlotPool {
  const p = new SlotPool();
  for (const [tm, n] of Object.entries(tms)) p.addTaskManager(tm, n);
  return p;
}

const countByTm = (refs: { tm: string }[]) => {
  const m: Record<string, number> = {};
  for (const r of refs) m[r.tm] = (m[r.tm] ?? 0) + 1;
  return m;
};

describe('SlotPool', () => {
  it('counts total and free slots over all TaskManagers', () => {
    const p = pool({ tm1: 2, tm2: 3 });
    expect(p.total).toBe(5);
    expect(p.free).toBe(5);
    expect(p.usage('tm2')).toEqual({ total: 3, free: 3 });
    expect(p.usage('nope')).toEqual({ total: 0, free: 0 });
  });

  it('spreads an allocation over TMs round-robin: 2 TMs x 2 slots, 4 slots -> each TM used twice', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    const refs = p.allocate('job', 4)!;
    expect(refs).toHaveLength(4);
    expect(countByTm(refs)).toEqual({ tm1: 2, tm2: 2 });
    // alternating TMs, and every slot distinct
    expect(refs[0].tm).not.toBe(refs[1].tm);
    expect(refs[2].tm).not.toBe(refs[3].tm);
    expect(new Set(refs.map((r) => `${r.tm}/${r.slot}`)).size).toBe(4);
    for (const r of refs) expect([0, 1]).toContain(r.slot);
    expect(p.free).toBe(0);
  });

  it('puts a 2-slot job on both TMs rather than filling one first', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    const refs = p.allocate('job', 2)!;
    expect(countByTm(refs)).toEqual({ tm1: 1, tm2: 1 });
    expect(p.usage('tm1')).toEqual({ total: 2, free: 1 });
    expect(p.usage('tm2')).toEqual({ total: 2, free: 1 });
  });

  it('spreads over uneven TMs and uses what is left once one is full', () => {
    const p = pool({ tm1: 1, tm2: 3 });
    const refs = p.allocate('job', 4)!;
    expect(countByTm(refs)).toEqual({ tm1: 1, tm2: 3 });
    expect(new Set(refs.map((r) => `${r.tm}/${r.slot}`)).size).toBe(4);
  });

  it('returns undefined and takes nothing when too few slots are free', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    expect(p.allocate('a', 3)).toHaveLength(3);
    expect(p.allocate('b', 2)).toBeUndefined();
    expect(p.free).toBe(1);
    expect(p.usage('tm1').free + p.usage('tm2').free).toBe(1);
    // the one free slot is still allocatable
    expect(p.allocate('c', 1)).toHaveLength(1);
    expect(p.free).toBe(0);
  });

  it('returns undefined on an empty pool', () => {
    expect(new SlotPool().allocate('job', 1)).toBeUndefined();
  });

  it('release frees exactly the slots of that job', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    const a = p.allocate('a', 2)!;
    const b = p.allocate('b', 2)!;
    p.release('a');
    expect(p.free).toBe(2);
    const c = p.allocate('c', 2)!;
    // c gets a's old slots, b's stay b's
    const key = (r: { tm: string; slot: number }) => `${r.tm}/${r.slot}`;
    expect(c.map(key).sort()).toEqual(a.map(key).sort());
    expect(c.map(key).some((k) => b.map(key).includes(k))).toBe(false);
    expect(p.allocate('d', 1)).toBeUndefined();
  });

  it('release of an unknown job changes nothing', () => {
    const p = pool({ tm1: 2 });
    p.allocate('a', 1);
    p.release('zzz');
    expect(p.free).toBe(1);
  });

  it('removeTaskManager returns the jobs that owned slots on it and drops its slots', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    p.allocate('a', 2); // tm1/0, tm2/0
    p.allocate('b', 1); // tm1/1
    const owners = p.removeTaskManager('tm1');
    expect([...owners].sort()).toEqual(['a', 'b']);
    expect(p.total).toBe(2);
    expect(p.free).toBe(1);
    expect(p.usage('tm1')).toEqual({ total: 0, free: 0 });
  });

  it('removeTaskManager of an idle or unknown TM returns no jobs', () => {
    const p = pool({ tm1: 2, tm2: 2 });
    p.allocate('a', 1);
    const idle = [...p.removeTaskManager('tm1'), ...p.removeTaskManager('tm2')];
    // exactly one of the two held a's slot
    expect(idle).toEqual(['a']);
    expect(p.removeTaskManager('unknown').size).toBe(0);
  });
});
