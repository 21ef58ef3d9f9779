import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml, YamlError } from './yaml';

describe('parseYaml (block subset)', () => {
  it('reads the seed DAG file as written', () => {
    const dag = parseYaml(readFileSync(join(__dirname, '..', 'jobs', 'seed-dag', 'DAG.yml'), 'utf8'));
    expect(dag).toEqual({
      mode: 'on',
      source: { num: 1, 'data-from': ['127.0.0.1:9092'] },
      map: { num: 2, regexp: '([a-zA-Z]+),([0-9]+)', value: 1 },
      keyby: { num: 2, key: 0 },
      window: { func: 'sum', filter: 'distinct', assign: '30s', table: ['word_count', 'word_freq'] },
      reduce: { num: 1, aggregation: 'sum' },
      sink: { num: 1, 'data-to': 'terminal' },
    });
  });

  it('scalars, quotes, sequences of mappings and sequences at the key indentation', () => {
    const doc = `a: "x # not a comment"\nb: 'it''s'\nc: true\nd: ~\ne: -1.5\nf:\n- 1\n- two\ng:\n  - k: 1\n    l: 2\n  - k: 3\n`;
    expect(parseYaml(doc)).toEqual({ a: 'x # not a comment', b: "it's", c: true, d: null, e: -1.5, f: [1, 'two'], g: [{ k: 1, l: 2 }, { k: 3 }] });
  });

  it('refuses what it does not support, naming the line', () => {
    expect(() => parseYaml('a: 1\nb: [1, 2]\n')).toThrow(YamlError);
    expect(() => parseYaml('a: 1\nb: [1, 2]\n')).toThrow(/line 2: "\[" .* not supported/);
    expect(() => parseYaml('a:\n  b: 1\n    c: 2\n')).toThrow(/line 3: unexpected indentation/);
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/line 2: duplicate key "a"/);
    expect(() => parseYaml('just text\n')).toThrow(/line 1: expected "key: value"/);
  });
});
