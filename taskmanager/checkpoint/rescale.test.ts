import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNAPSHOT_VERSION, type TaskSnapshot } from '../../common/protocol/snapshot';
import { FileSource } from '../connectors/file/file-source';
import { SequenceSource } from '../connectors/generator/generator';
import type { SourceReader, SubtaskInfo } from '../connectors/types';
import { keyGroupFor, keyGroupRange } from '../../common/key-groups';
import { KeyedState } from '../state/keyed-state';
import { rescale } from './rescale';

const MAX = 128;
const info = (subtask: number, parallelism: number): SubtaskInfo => ({
  jobId: 'j',
  node: 'src',
  subtask,
  parallelism,
  attempt: 0,
  mode: 'exactly-once',
});

async function readAll(r: SourceReader, limit = Infinity): Promise<unknown[]> {
  const out: unknown[] = [];
  while (out.length < limit) {
    const batch = await r.read(Math.min(7, limit - out.length));
    if (batch === null) break;
    out.push(...batch);
  }
  return out;
}

/** p old subtasks read `first` records each, snapshot; q new subtasks restore and read the rest. */
async function acrossRescale(
  make: (s: SubtaskInfo) => SourceReader,
  kind: 'file' | 'generator',
  p: number,
  q: number,
  first: number,
) {
  const before: unknown[] = [];
  const priors = [];
  for (let j = 0; j < p; j++) {
    const r = make(info(j, p));
    before.push(...(await readAll(r, first)));
    priors.push({
      subtask: j,
      parallelism: p,
      snapshot: {
        version: SNAPSHOT_VERSION,
        keyed: {},
        source: { uid: 'src', position: JSON.parse(JSON.stringify(r.position())) },
      } as TaskSnapshot,
    });
    await r.close();
  }
  const after: unknown[] = [];
  for (let i = 0; i < q; i++) {
    const restored = rescale(priors, {
      subtask: i,
      parallelism: q,
      maxParallelism: MAX,
      source: kind === 'file' ? ({ kind: 'file', path: 'x' } as never) : ({ kind: 'generator' } as never),
    });
    const r = make(info(i, q));
    r.restore(restored.source!.position);
    after.push(...(await readAll(r)));
    await r.close();
  }
  return [...before, ...after];
}

describe('rescale', () => {
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 13)}`);
  const file = join(mkdtempSync(join(tmpdir(), 'rescale-')), 'in.txt');
  writeFileSync(file, lines.join('\n') + '\n');

  it.each([
    [2, 4],
    [2, 1],
    [3, 2],
    [1, 3],
  ])('file splits from p=%i to p=%i: every line read once', async (p, q) => {
    const all = await acrossRescale((s) => new FileSource(file, s), 'file', p, q, 40);
    expect([...all].sort()).toEqual([...lines].sort());
  });

  it.each([
    [2, 4],
    [4, 1],
    [3, 2],
  ])('generator sequences from p=%i to p=%i: every record once', async (p, q) => {
    const all = await acrossRescale((s) => new SequenceSource({ count: 300 }, s, (n) => n), 'generator', p, q, 25);
    expect((all as number[]).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });

  it('keyed state and timers: each new subtask gets exactly the key groups of its range, from every old subtask', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `k${i}`);
    const priors = [0, 1].map((j) => {
      const state = new KeyedState<number>(MAX);
      const { start, end } = keyGroupRange(MAX, 2, j);
      const mine = keys.filter((k) => keyGroupFor(k, MAX) >= start && keyGroupFor(k, MAX) <= end);
      for (const k of mine) state.put(k, k.length);
      const byGroup = new Map<number, [string, string, number][]>();
      for (const k of mine)
        byGroup.set(keyGroupFor(k, MAX), [...(byGroup.get(keyGroupFor(k, MAX)) ?? []), [k, 'w', 10]]);
      const timers = { watermark: 100 + j, event: [...byGroup], processing: [] };
      return {
        subtask: j,
        parallelism: 2,
        snapshot: {
          version: SNAPSHOT_VERSION,
          keyed: { counts: state.snapshot() },
          operators: { counts: timers },
        } as TaskSnapshot,
      };
    });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = rescale(priors, { subtask: i, parallelism: 3, maxParallelism: MAX });
      const { start, end } = keyGroupRange(MAX, 3, i);
      const restoredKeys = r.keyed.counts.flatMap(([, entries]) => entries.map(([k]) => k as string));
      for (const k of restoredKeys) expect(keyGroupFor(k, MAX) >= start && keyGroupFor(k, MAX) <= end).toBe(true);
      const timers = r.operators!.counts as { watermark: number; event: [number, [string, string, number][]][] };
      expect(timers.watermark).toBe(100);
      expect(timers.event.flatMap(([, ts]) => ts.map(([k]) => k)).sort()).toEqual([...restoredKeys].sort());
      seen.push(...restoredKeys);
    }
    expect(seen.sort()).toEqual([...keys].sort());
  });

  it('sink state and asyncMap queues of old subtask j go to new subtask j mod p; a queue keeps its watermarks only at the same parallelism', () => {
    const record = (value: string, timestamp: number) => ({ kind: 'record' as const, value, timestamp });
    const priors = (parallelism: number) =>
      [0, 1, 2].slice(0, parallelism).map((j) => ({
        subtask: j,
        parallelism,
        snapshot: {
          version: SNAPSHOT_VERSION,
          keyed: {},
          async: {
            a: [record(`in${j}`, j), { kind: 'watermark' as const, watermark: 10 + j }, record(`after${j}`, 20)],
          },
          sink: { uid: 'out', state: { subtask: j } },
        } as TaskSnapshot,
      }));
    const r0 = rescale(priors(3), { subtask: 0, parallelism: 2, maxParallelism: MAX });
    const r1 = rescale(priors(3), { subtask: 1, parallelism: 2, maxParallelism: MAX });
    expect(r0.sinks.map((s) => s.state)).toEqual([{ subtask: 0 }, { subtask: 2 }]);
    // Old subtask 2's watermark 12 would make the records of subtask 0's inputs late: upstream sends the new subtask's again.
    expect(r0.async).toEqual({ a: [record('in0', 0), record('after0', 20), record('in2', 2), record('after2', 20)] });
    expect(r1.sinks.map((s) => s.state)).toEqual([{ subtask: 1 }]);
    expect(rescale(priors(2), { subtask: 1, parallelism: 2, maxParallelism: MAX }).async).toEqual(
      priors(2)[1].snapshot.async,
    );
  });

  it('Kafka positions: every new subtask takes the union of the old offsets', () => {
    const priors = [{ 0: 5, 2: 7 }, { 1: 9 }].map((offsets, j) => ({
      subtask: j,
      parallelism: 2,
      snapshot: { version: SNAPSHOT_VERSION, keyed: {}, source: { uid: 'src', position: { offsets } } } as TaskSnapshot,
    }));
    const r = rescale(priors, { subtask: 2, parallelism: 3, maxParallelism: MAX, source: { kind: 'kafka' } as never });
    expect(r.source).toEqual({ uid: 'src', position: { offsets: { 0: 5, 1: 9, 2: 7 } } });
  });
});
