import { copyRecord } from './copy-record';

describe('copyRecord', () => {
  it('copies plain objects and arrays at every level, keeps primitives', () => {
    const r = { a: 1, s: 'x', n: null, list: [1, { deep: [true] }], o: { p: { q: 2 } } };
    const c = copyRecord(r);
    expect(c).toEqual(r);
    expect(c).not.toBe(r);
    expect(c.list).not.toBe(r.list);
    expect(c.list[1]).not.toBe(r.list[1]);
    expect(c.o.p).not.toBe(r.o.p);
    for (const v of [1, 'x', null, undefined, true]) expect(copyRecord(v)).toBe(v);
  });

  it('a key named __proto__ stays a key; the copy keeps a plain prototype', () => {
    const r = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const c = copyRecord(r);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(c)).toBe(JSON.stringify(r));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('other objects through structuredClone; what cannot be cloned is kept', () => {
    const d = new Date(5);
    const c = copyRecord({ at: d });
    expect(c.at).toEqual(d);
    expect(c.at).not.toBe(d);
    const fn = () => 1;
    const withFn = Object.assign(Object.create({}), { fn }) as { fn: () => number };
    expect(copyRecord(withFn)).toBe(withFn);
  });
});
