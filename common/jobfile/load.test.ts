import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFileError } from '../errors';
import { loadJobFile } from '.';

type Json = any;

function wordcount(): Json {
  return {
    name: 'wordcount',
    parallelism: 4,
    checkpointing: { interval: 1000 },
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: 'input.txt' } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: 'out/' } },
    ],
  };
}

describe('loadJobFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flinkx-jobfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function refusal(path: string): Promise<JobFileError> {
    const err = await loadJobFile(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobFileError);
    return err as JobFileError;
  }

  it('resolves relative paths against the job file directory and keeps absolute ones', async () => {
    const job = wordcount();
    job.functions = './fns/user.ts';
    job.checkpointing.storage = 'checkpoints';
    job.nodes[3].connector.path = '/abs/out';
    await mkdir(join(dir, 'jobs'));
    const file = join(dir, 'jobs', 'wc.json');
    await writeFile(file, JSON.stringify(job, null, 2));
    const loaded = await loadJobFile(file);
    expect(loaded.functions).toBe(join(dir, 'jobs', 'fns', 'user.ts'));
    expect(loaded.checkpointing?.storage).toBe(join(dir, 'jobs', 'checkpoints'));
    expect(loaded.nodes[0].connector).toEqual({ kind: 'file', path: join(dir, 'jobs', 'input.txt') });
    expect(loaded.nodes[3].connector).toEqual({ kind: 'file', path: '/abs/out' });
  });

  const padding = ' '.repeat(40);
  it.each([
    ['trailing comma in an array', '{\n  "name": "x",\n  "nodes": [1,]\n}\n', 3, 15, "Unexpected token ']'"],
    ['trailing comma deep in a long file', `{${padding}\n "nodes": [1,]${padding}}`, 2, 14, "Unexpected token ']'"],
    ['a token near the start of a long file', `[1,]${padding}`, 1, 4, "Unexpected token ']'"],
    ['single quotes', "{\n  'name': 1}", 2, 3, 'Expected property name'],
    ['a missing comma', '{\n  "name": "x"\n  "nodes": []\n}', 3, 3, "Expected ',' or '}'"],
  ])('names line and column of a JSON syntax error: %s', async (_name, text, line, column, what) => {
    const file = join(dir, 'bad.json');
    await writeFile(file, text);
    const err = await refusal(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].path).toBe('');
    expect(err.problems[0].message).toMatch(new RegExp(`^invalid JSON at line ${line}, column ${column}: `));
    expect(err.problems[0].message).toContain(what);
    expect(err.problems[0].message).not.toContain('is not valid JSON');
    expect(err.message).toContain(file);
  });

  it('reports an empty file as ending too early', async () => {
    const file = join(dir, 'empty.json');
    await writeFile(file, '');
    expect((await refusal(file)).problems[0].message).toMatch(/^invalid JSON at line 1, column 1: Unexpected end/);
  });

  it('refuses a missing file and a directory clearly', async () => {
    const missing = await refusal(join(dir, 'nope.json'));
    expect(missing.problems).toEqual([{ path: '', message: 'cannot read the job file: no such file' }]);
    const folder = await refusal(dir);
    expect(folder.problems[0].message).toBe('cannot read the job file: it is a directory');
  });

  it('reports schema problems with the file as source', async () => {
    const file = join(dir, 'wc.json');
    const job = wordcount();
    job.nodes[2].keyby = 'word';
    await writeFile(file, JSON.stringify(job));
    const err = await refusal(file);
    expect(err.problems.map((p) => p.path)).toEqual(['nodes[2].keyby']);
    expect(err.message).toContain(file);
  });
});
