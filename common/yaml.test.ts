import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml, YamlError } from './yaml';

function refusal(text: string, source?: string): YamlError {
  try {
    parseYaml(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(YamlError);
    return err as YamlError;
  }
  throw new Error('expected the YAML to be refused');
}

describe('parseYaml', () => {
  it('reads the seed DAG file as written', () => {
    const { value } = parseYaml(readFileSync(join(__dirname, '..', 'jobs', 'seed-dag', 'DAG.yml'), 'utf8'));
    expect(value).toEqual({
      mode: 'on',
      source: { num: 1, 'data-from': ['127.0.0.1:9092'] },
      map: { num: 2, regexp: '([a-zA-Z]+),([0-9]+)', value: 1 },
      keyby: { num: 2, key: 0 },
      window: { func: 'sum', filter: 'distinct', assign: '30s', table: ['word_count', 'word_freq'] },
      reduce: { num: 1, aggregation: 'sum' },
      sink: { num: 1, 'data-to': 'terminal' },
    });
  });

  it('scalars, quotes, sequences of mappings and sequences at the key indentation (YAML 1.2: on/off stay strings)', () => {
    const doc = `a: "x # not a comment"\nb: 'it''s'\nc: true\nd: ~\ne: -1.5\nf:\n- 1\n- two\ng:\n  - k: 1\n    l: 2\n  - k: 3\nh: on\n`;
    expect(parseYaml(doc).value).toEqual({
      a: 'x # not a comment',
      b: "it's",
      c: true,
      d: null,
      e: -1.5,
      f: [1, 'two'],
      g: [{ k: 1, l: 2 }, { k: 3 }],
      h: 'on',
    });
  });

  it('reads constructor and __proto__ as plain keys without touching any prototype', () => {
    const { value } = parseYaml('constructor: 1\n__proto__:\n  polluted: true\ntoString: x\n');
    const map = value as Record<string, unknown>;
    expect(Object.keys(map)).toEqual(['constructor', '__proto__', 'toString']);
    expect(map.constructor).toBe(1);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((map as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('gives the line of a key, of a sequence item, and of the deepest part present of a missing path', () => {
    const { positionOf } = parseYaml('a: 1\nb:\n  c: 2\n  d:\n    - x\n    - y\n');
    expect(positionOf(['a'])).toEqual({ line: 1, col: 1 });
    expect(positionOf(['b', 'c'])).toEqual({ line: 3, col: 3 });
    expect(positionOf(['b', 'd', 1])).toEqual({ line: 6, col: 7 });
    expect(positionOf(['b', 'e'])).toEqual({ line: 2, col: 1 });
    expect(positionOf(['b', 'd', 5])).toEqual({ line: 4, col: 3 });
    expect(positionOf([])).toEqual({ line: 1, col: 1 });
  });

  it('refuses a duplicate key, naming file, line and column', () => {
    const err = refusal('a: 1\nb:\n  c: 1\n  c: 2\n', 'jobs/x.yml');
    expect([err.line, err.col, err.code]).toEqual([4, 3, 'INVALID_YAML']);
    expect(err.reason).toMatch(/unique/);
    expect(err.message).toMatch(/^jobs\/x\.yml:4:3: /);
  });

  it.each([
    ['a mapping nested in a compact one', 'a:\n  b: 1\n    c: 2\n', 2],
    ['a tab as indentation', 'a:\n\tb: 1\n', 2],
    ['several documents', 'a: 1\n---\nb: 2\n', 2],
    ['an unterminated quote (found at the end)', 'a: "x\n', 2],
    ['an unknown tag (a warning: it would become a string)', 'a: 1\nb: !thing 2\n', 2],
    ['an alias to no anchor', 'a: 1\nb: *nowhere\n', 2],
    ['binary garbage', '\u0000\u0001: [}{\n', 1],
  ])('refuses %s with its line, never crashing', (_name, text, line) => {
    const err = refusal(text);
    expect(err.line).toBe(line);
    expect(err.reason).not.toBe('');
  });

  it('reads flow collections and anchors as YAML does', () => {
    expect(parseYaml('a: [1, {b: 2}]\nc: &x 3\nd: *x\n').value).toEqual({ a: [1, { b: 2 }], c: 3, d: 3 });
  });
});
