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

  it('an enumerable key on Object.prototype does not become a key of the copy', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = { x: 1 };
    try {
      const c = copyRecord({ a: { b: 1 } });
      expect(Object.keys(c)).toEqual(['a']);
      expect(Object.hasOwn(c, 'injected')).toBe(false);
    } finally {
      delete proto.injected;
    }
  });

  it('other objects are kept as they are: a Date, a class instance with its toJSON', () => {
    class Point {
      constructor(readonly x: number) {}
      toJSON() {
        return [this.x];
      }
    }
    const d = new Date(5);
    const p = new Point(1);
    const c = copyRecord({ at: d, p, list: [p] });
    expect(c.at).toBe(d);
    expect(c.p).toBe(p);
    expect(c.list[0]).toBe(p);
    expect(JSON.stringify(c)).toBe('{"at":"1970-01-01T00:00:00.005Z","p":[1],"list":[[1]]}');
  });
});
