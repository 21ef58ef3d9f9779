import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFileError } from './errors';
import { loadJobFile } from './jobfile';

const SEED = join(__dirname, '..', 'jobs', 'seed-dag', 'DAG.yml');

async function variant(edit: (text: string) => string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'flinkx-dag-')), 'DAG.yml');
  await writeFile(path, edit(await readFile(SEED, 'utf8')));
  return path;
}

async function problemsOf(path: string) {
  try {
    await loadJobFile(path);
  } catch (err) {
    expect(err).toBeInstanceOf(JobFileError);
    return (err as JobFileError).problems;
  }
  throw new Error('expected the DAG to be refused');
}

describe('the seed DAG file', () => {
  it('becomes a job: Kafka source, regexp map with event time in seconds, two tables, terminal sink', async () => {
    const job = await loadJobFile(SEED);
    const byId = Object.fromEntries(job.nodes.map((n) => [n.id, n]));
    expect(job.nodes.map((n) => [n.id, n.type, n.parallelism])).toEqual([
      ['source', 'source', 1],
      ['map', 'flatMap', 2],
      ['word_count', 'window', 2],
      ['word_count-rows', 'map', 2],
      ['word_freq', 'window', 1],
      ['word_freq-rows', 'map', 1],
      ['sink', 'sink', 1],
    ]);
    expect(byId.source.connector).toMatchObject({
      kind: 'kafka',
      brokers: ['127.0.0.1:9092'],
      topic: 'test',
      startFrom: 'latest',
    });
    expect(byId.map.timestamps).toMatchObject({ field: 'time', unit: 's' });
    expect(byId.word_count).toMatchObject({
      keyBy: 'k0',
      window: { kind: 'tumbling', size: 30_000 },
      aggregate: 'sum',
      field: 'value',
    });
    expect(byId.word_freq).toMatchObject({ keyBy: 'sum', aggregate: 'count', inputs: ['word_count'] });
    expect(byId.sink).toMatchObject({ inputs: ['word_count-rows', 'word_freq-rows'], connector: { kind: 'stdout' } });
  });

  it('honours the optional topic and start, and a path as data-to', async () => {
    const path = await variant((t) =>
      t
        .replace('  num: 1\n  data-from', '  num: 1\n  topic: words\n  start: earliest\n  data-from')
        .replace('data-to: terminal', 'data-to: out'),
    );
    const job = await loadJobFile(path);
    expect(job.nodes[0].connector).toMatchObject({ topic: 'words', startFrom: 'earliest' });
    expect(job.nodes[job.nodes.length - 1].connector).toEqual({ kind: 'file', path: join(path, '..', 'out') });
  });

  it('refuses mode: off, and names bad settings by their path and line', async () => {
    expect(await problemsOf(await variant((t) => t.replace('mode: on', 'mode: off')))).toEqual([
      { path: 'mode', line: 1, message: 'the DAG is switched off (mode: off); set mode: on to run it' },
    ]);
    const bad = await variant((t) => t.replace('func: sum', 'func: avg').replace('key: 0', 'key: 0\n  keys: 1'));
    expect(await problemsOf(bad)).toEqual([
      { path: 'keyby', line: 13, message: "unknown key keys (the seed's DAG has no such setting)" },
      { path: 'window.func', line: 15, message: 'must be "sum" or "max" or "min"' },
    ]);
    expect(await problemsOf(await variant((t) => t.replace('key: 0', 'key: 1')))).toEqual([
      { path: 'keyby.key', line: 12, message: 'the regexp has 1 key group(s): 0..0' },
    ]);
    expect(await problemsOf(await variant((t) => t.replace('assign: 30s', 'assign: soon')))).toEqual([
      { path: 'window.assign', line: 16, message: 'must be a duration like "30s"' },
    ]);
    expect(
      await problemsOf(await variant((t) => t.replace('    - word_freq', '    - word_freq\n    - third'))),
    ).toEqual([{ path: 'window.table', line: 17, message: 'Too big: expected array to have <=2 items' }]);
    expect(await problemsOf(await variant((t) => t.replace('source:', 'source: [1]')))).toEqual([
      {
        path: '',
        message: expect.stringMatching(
          /^invalid YAML at line 3, column 1: All mapping items must start at the same column$/,
        ),
      },
    ]);
  });

  it('names a missing setting at the line of its mapping, and the file and line in the message', async () => {
    const path = await variant((t) => t.replace(/ {2}regexp: .*\n/, ''));
    const err = await loadJobFile(path).catch((e: unknown) => e as JobFileError);
    expect(err).toBeInstanceOf(JobFileError);
    expect((err as JobFileError).problems).toEqual([{ path: 'map.regexp', line: 6, message: 'required' }]);
    expect((err as JobFileError).message).toBe(`invalid job file ${path}:\n  - map.regexp (line 6): required`);
  });

  it('refuses keys such as constructor as unknown settings, and a duplicate key by its line', async () => {
    expect(await problemsOf(await variant((t) => t.replace('  key: 0', '  key: 0\n  constructor: 1')))).toEqual([
      { path: 'keyby', line: 13, message: "unknown key constructor (the seed's DAG has no such setting)" },
    ]);
    expect(await problemsOf(await variant((t) => t.replace('  key: 0', '  key: 0\n  num: 3')))).toEqual([
      { path: '', message: expect.stringMatching(/^invalid YAML at line 13, column 3: .*unique/) },
    ]);
  });
});
