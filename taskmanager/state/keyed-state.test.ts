import { keyGroupFor } from './key-groups';
import { KeyedState } from './keyed-state';

describe('KeyedState', () => {
  test('update keeps one value per key; 1 and "1" are different keys; object keys by JSON', () => {
    const s = new KeyedState<number>(128);
    for (const k of ['a', 'a', 1, '1', { x: 1 }, { x: 1 }]) s.update(k, (n) => (n ?? 0) + 1);
    const flat = new Map(s.snapshot().flatMap(([, entries]) => entries));
    expect(flat).toEqual(new Map<unknown, number>([['a', 2], [1, 1], ['1', 1], ['{"x":1}', 2]]));
  });

  test('snapshots group entries by key group, and a restore brings every value back', () => {
    const s = new KeyedState<number>(128);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
    words.forEach((w, i) => s.update(w, () => i));
    const snap = s.snapshot();
    for (const [kg, entries] of snap) for (const [k] of entries) expect(keyGroupFor(k, 128)).toBe(kg);

    const restored = new KeyedState<number>(128);
    restored.restore(snap);
    words.forEach((w, i) => expect(restored.update(w, (v) => v!)).toBe(i));
  });
});
