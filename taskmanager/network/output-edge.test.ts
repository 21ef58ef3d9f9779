import { subtaskForKey } from '../state/key-groups';
import type { PlanEdge } from '../../common/plan';
import type { OutputChannel } from './channels';
import { OutputEdge } from './output-edge';

/** Channels that only record what they were given. */
function channels(n: number): { got: unknown[][]; list: OutputChannel[] } {
  const got: unknown[][] = Array.from({ length: n }, () => []);
  const list = got.map((g) => ({ emit: (r: unknown) => g.push(r) }) as unknown as OutputChannel);
  return { got, list };
}

const edge = (partitioner: PlanEdge['partitioner'], keyBy?: string): PlanEdge => ({ id: 'a->b', source: 'a', target: 'b', partitioner, keyBy });

test('hash sends each key to the subtask owning its key group', () => {
  const { got, list } = channels(4);
  const out = new OutputEdge(list, edge('hash', 'word'), 128, 0);
  const words = ['hello', 'flink', 'a', 'hello', 'b', 'c'];
  for (const word of words) out.emit({ word });
  words.forEach((word) => expect(got[subtaskForKey(word, 128, 4)]).toContainEqual({ word }));
  expect(got[1].filter((r) => (r as { word: string }).word === 'hello')).toHaveLength(2);
});

test('rebalance goes round-robin, starting at the producer subtask', () => {
  const { got, list } = channels(3);
  const out = new OutputEdge(list, edge('rebalance'), 128, 1);
  for (let i = 0; i < 6; i++) out.emit(i);
  expect(got).toEqual([[2, 5], [0, 3], [1, 4]]);
});

test('broadcast gives every channel every record; forward uses its one channel', () => {
  const b = channels(3);
  new OutputEdge(b.list, edge('broadcast'), 128, 0).emit('x');
  expect(b.got).toEqual([['x'], ['x'], ['x']]);
  const f = channels(1);
  new OutputEdge(f.list, edge('forward'), 128, 2).emit('y');
  expect(f.got).toEqual([['y']]);
});
