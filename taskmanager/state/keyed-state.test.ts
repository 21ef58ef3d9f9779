import { keyGroupFor } from '../../common/key-groups';
import { KeyedState } from './keyed-state';

describe('KeyedState', () => {
  test('update keeps one value per key; 1 and "1" are different keys; object keys by JSON', () => {
    const s = new KeyedState<number>(128);
    for (const k of ['a', 'a', 1, '1', { x: 1 }, { x: 1 }]) s.update(k, (n) => (n ?? 0) + 1, undefined);
    const flat = new Map(s.snapshot().flatMap(([, entries]) => entries));
    expect(flat).toEqual(
      new Map<unknown, number>([
        ['a', 2],
        [1, 1],
        ['1', 1],
        ['{"x":1}', 2],
      ]),
    );
  });

  test('equal object keys are one key whatever their field order; [null] and [NaN] are two', () => {
    const s = new KeyedState<number>(128);
    for (const k of [{ x: 1, y: [2, { b: 1, a: 0 }] }, { y: [2, { a: 0, b: 1 }], x: 1 }, [null], [NaN], [NaN]])
      s.update(k, (n) => (n ?? 0) + 1, undefined);
    const flat = new Map(s.snapshot().flatMap(([, entries]) => entries));
    expect(flat).toEqual(
      new Map<unknown, number>([
        ['{"x":1,"y":[2,{"a":0,"b":1}]}', 2],
        ['[null]', 1],
        ['[NaN]', 2],
      ]),
    );
    expect(s.get({ y: [2, { b: 1, a: 0 }], x: 1 })).toBe(2);
  });

  test('a key group given with the key is where the value lives: the key is not hashed again', () => {
    const s = new KeyedState<number>(128);
    const kg = (keyGroupFor('a', 128) + 1) % 128;
    s.update('a', () => 1, undefined, kg);
    expect(s.snapshot()).toEqual([[kg, [['a', 1]]]]);
    expect(s.get('a')).toBe(1);
    s.put('a', 2, kg);
    expect(s.update('a', (v) => v! + 1, undefined, kg)).toBe(3);
    // A known key is found without its key group, and stays in the group it was inserted with.
    expect(s.get('a')).toBe(3);
    s.put('a', 4);
    expect(s.snapshot()).toEqual([[kg, [['a', 4]]]]);
  });

  test('snapshots group entries by key group, and a restore brings every value back', () => {
    const s = new KeyedState<number>(128);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
    words.forEach((w, i) => s.update(w, () => i, undefined));
    const snap = s.snapshot();
    for (const [kg, entries] of snap) for (const [k] of entries) expect(keyGroupFor(k, 128)).toBe(kg);

    const restored = new KeyedState<number>(128);
    restored.restore(snap);
    words.forEach((w, i) => expect(restored.update(w, (v) => v!, undefined)).toBe(i));
  });
});
