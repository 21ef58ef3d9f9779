import { keyGroupFor, subtaskForKey } from '../../common/key-groups';
import type { PlanEdge } from '../../common/plan';
import type { OutputChannel } from './channels';
import { OutputEdge } from './output-edge';

/** Channels that only record what they were given (and the key group, for `keyGroups`). */
function channels(n: number): { got: unknown[][]; keyGroups: (number | undefined)[][]; list: OutputChannel[] } {
  const got: unknown[][] = Array.from({ length: n }, () => []);
  const keyGroups: (number | undefined)[][] = got.map(() => []);
  const list = got.map(
    (g, i) =>
      ({
        emit: (r: unknown, _ts?: number, kg?: number) => (g.push(r), keyGroups[i].push(kg)),
      }) as unknown as OutputChannel,
  );
  return { got, keyGroups, list };
}

const edge = (partitioner: PlanEdge['partitioner'], keyBy?: string): PlanEdge => ({
  id: 'a->b',
  source: 'a',
  target: 'b',
  partitioner,
  keyBy,
});

test('hash sends each key to the subtask owning its key group', () => {
  const { got, list } = channels(4);
  const out = new OutputEdge(list, edge('hash', 'word'), 128, 0);
  const words = ['hello', 'flink', 'a', 'hello', 'b', 'c'];
  for (const word of words) out.emit({ word });
  words.forEach((word) => expect(got[subtaskForKey(word, 128, 4)]).toContainEqual({ word }));
  expect(got[1].filter((r) => (r as { word: string }).word === 'hello')).toHaveLength(2);
});

test('hash sends each record with the key group of its key', () => {
  const { got, keyGroups, list } = channels(4);
  const out = new OutputEdge(list, edge('hash', 'word'), 128, 0);
  for (const r of [{ word: 'hello' }, { word: 42 }, { word: '' }]) out.emit(r);
  got.forEach((records, i) =>
    records.forEach((r, j) => expect(keyGroups[i][j]).toBe(keyGroupFor((r as { word: unknown }).word, 128))),
  );
  expect(got.flat()).toHaveLength(3);
});

test('hash fails a record without its key field, or not an object, naming the keyed operator; nothing is sent', () => {
  const { got, list } = channels(4);
  const out = new OutputEdge(list, edge('hash', 'word'), 128, 0);
  for (const r of [{ wrod: 'hello' }, { word: null }, 'length', null]) {
    expect(() => out.emit(r)).toThrow(
      expect.objectContaining({
        code: 'NULL_KEY',
        message: expect.stringMatching(/^operator "b": key field "word" is (undefined|null) for record /),
      }),
    );
  }
  expect(got.flat()).toEqual([]);
});

test('other partitioners send no key group', () => {
  for (const p of ['rebalance', 'broadcast', 'forward'] as const) {
    const { keyGroups, list } = channels(p === 'forward' ? 1 : 2);
    new OutputEdge(list, edge(p), 128, 0).emit({ word: 'x' });
    expect(keyGroups.flat().every((kg) => kg === undefined)).toBe(true);
  }
});

test('rebalance goes round-robin, starting at the producer subtask', () => {
  const { got, list } = channels(3);
  const out = new OutputEdge(list, edge('rebalance'), 128, 1);
  for (let i = 0; i < 6; i++) out.emit(i);
  expect(got).toEqual([
    [2, 5],
    [0, 3],
    [1, 4],
  ]);
});

test('broadcast gives every channel every record; forward uses its one channel', () => {
  const b = channels(3);
  new OutputEdge(b.list, edge('broadcast'), 128, 0).emit('x');
  expect(b.got).toEqual([['x'], ['x'], ['x']]);
  const f = channels(1);
  new OutputEdge(f.list, edge('forward'), 128, 2).emit('y');
  expect(f.got).toEqual([['y']]);
});
