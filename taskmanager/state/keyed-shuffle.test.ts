/**
 * The key group the hash partitioner computes travels with the record (common/protocol/batch.ts)
 * and keyed state uses it; state must land exactly where hashing the key again would put it.
 */
import type { SlotRef } from '../../common/plan';
import { decodeBatch, encodeBatch, type Batch } from '../../common/protocol/batch';
import type { NodeSpec } from '../../common/jobfile';
import { OutputChannel, type ChannelTransport } from '../network/channels';
import { OutputEdge } from '../network/output-edge';
import { FunctionRegistry } from '../operators/functions';
import { createChain, type Chain } from '../operators/operators';
import { keyGroupFor, keyGroupRange } from '../../common/key-groups';

const MAX_PARALLELISM = 128;
const PARALLELISM = 4;

/** The batches each consumer subtask receives from one producer over a hash edge on `keyBy: word`. */
function shuffle(records: unknown[]): Batch[][] {
  const got: Batch[][] = Array.from({ length: PARALLELISM }, () => []);
  const transport: ChannelTransport = {
    sendBatch: (dest: SlotRef, _ch: string, batch: Batch) => got[dest.slot].push(batch),
    sendCredit: () => undefined,
  };
  const channels = got.map(
    (_, i) => new OutputChannel(`j/0/e/0/${i}`, { tm: 'tm', slot: i }, transport, () => undefined, 64),
  );
  for (const c of channels) c.addCredit(1_000);
  const edge = new OutputEdge(
    channels,
    { id: 'e', source: 'a', target: 'b', partitioner: 'hash', keyBy: 'word' },
    MAX_PARALLELISM,
    0,
  );
  for (const r of records) edge.emit(r);
  for (const c of channels) c.seal();
  return got;
}

function chain(node: NodeSpec): Chain {
  const out = { push: () => undefined, watermark: () => undefined, status: () => undefined };
  const time = { now: () => 0, schedule: () => undefined };
  return createChain(
    [node],
    { fns: new FunctionRegistry(undefined), maxParallelism: MAX_PARALLELISM, time, side: () => undefined },
    out,
  );
}

const sorted = (c: Chain) =>
  [...c.states.values()][0]
    .snapshot()
    .map(([kg, entries]) => [kg, [...entries].sort((a, b) => String(a[0]).localeCompare(String(b[0])))] as const)
    .sort((a, b) => a[0] - b[0]);

const words = Array.from({ length: 3_000 }, (_, i) => ({
  word: i % 7 === 0 ? i % 50 : `w${(i * 7919) % 401}`,
  count: 1 + (i % 3),
}));

const keyed: [string, NodeSpec][] = [
  ['sum', { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' } as NodeSpec],
  ['count', { id: 'counts', type: 'count', inputs: ['words'], keyBy: 'word' } as NodeSpec],
];

describe.each(keyed)('keyed state of %s behind a hash shuffle', (_, node) => {
  test.each([
    ['the same slot (batch as sent)', (b: Batch) => b],
    ['another slot or TaskManager (batch encoded and decoded)', (b: Batch) => decodeBatch(encodeBatch(b))],
  ])('over %s: the carried key groups put state where hashing puts it, in the subtask’s range', (__, transfer) => {
    const batches = shuffle(words);
    batches.forEach((list, subtask) => {
      const carried = chain(node);
      const hashed = chain(node);
      for (const b of list.map(transfer)) {
        expect(b.keyGroups).toHaveLength(b.records.length);
        b.records.forEach((r, i) => carried.push(r, undefined, undefined, b.keyGroups![i]));
        b.records.forEach((r) => hashed.push(r));
      }
      const snapshot = sorted(carried);
      expect(snapshot).toEqual(sorted(hashed));
      expect(snapshot.length).toBeGreaterThan(0);
      const { start, end } = keyGroupRange(MAX_PARALLELISM, PARALLELISM, subtask);
      for (const [kg, entries] of snapshot) {
        expect(kg >= start && kg <= end).toBe(true);
        for (const [key] of entries) expect(keyGroupFor(key, MAX_PARALLELISM)).toBe(kg);
      }
    });
  });
});
