import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFileError, type Problem } from './errors';
import { loadJobFile, parseJobSpec } from './jobfile';

// Job files arrive as untyped JSON; tests build them the same way and then break them.
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

function problemsOf(input: unknown): Problem[] {
  try {
    parseJobSpec(input);
  } catch (err) {
    expect(err).toBeInstanceOf(JobFileError);
    return (err as JobFileError).problems;
  }
  throw new Error('expected the job file to be refused');
}

function expectProblem(input: unknown, path: string, message: string | RegExp): void {
  const problems = problemsOf(input);
  const match = problems.find((p) => p.path === path);
  expect(match).toBeDefined();
  if (typeof message === 'string') expect(match?.message).toBe(message);
  else expect(match?.message).toMatch(message);
}

describe('parseJobSpec: valid jobs', () => {
  it('parses the word-count job and fills defaults', () => {
    const job = parseJobSpec(wordcount());
    expect(job.parallelism).toBe(4);
    expect(job.maxParallelism).toBe(128);
    expect(job.restart).toBeUndefined(); // the JobManager picks the default from checkpointing
    expect(job.checkpointing).toEqual({ interval: 1000, mode: 'at-least-once', timeout: 60000 });
    expect(job.nodes.map((n) => n.inputs)).toEqual([[], ['lines'], ['words'], ['counts']]);
    expect(job.functions).toBeUndefined();
  });

  it('fills connector defaults for generator and kafka', () => {
    const job = wordcount();
    job.nodes[0].connector = { kind: 'generator', count: 100 };
    job.nodes[3].connector = { kind: 'kafka', brokers: ['localhost:9092'], topic: 'counts' };
    const parsed = parseJobSpec(job);
    expect(parsed.nodes[0].connector).toEqual({
      kind: 'generator', count: 100, seed: 0, format: 'text', wordsPerLine: 8, vocabulary: 1000,
    });
    expect(parsed.nodes[3].connector).toEqual({
      kind: 'kafka', brokers: ['localhost:9092'], topic: 'counts', startFrom: 'earliest', format: 'string', bounded: false,
    });
  });

  it('accepts forward between nodes of equal parallelism and fan-in from several inputs', () => {
    const job = wordcount();
    job.nodes[1].partition = 'forward';
    job.nodes.splice(1, 0, { id: 'more', type: 'source', connector: { kind: 'generator' } });
    job.nodes[2].inputs = ['lines', 'more'];
    expect(() => parseJobSpec(job)).not.toThrow();
  });
});

describe('parseJobSpec: shape problems', () => {
  it('names an unknown key by its own path and suggests the right one', () => {
    const job = wordcount();
    job.nodes[2].keyby = job.nodes[2].keyBy;
    delete job.nodes[2].keyBy;
    expectProblem(job, 'nodes[2].keyby', 'unknown key (did you mean "keyBy"?)');
  });

  it('reports unknown keys at the top level and inside connectors', () => {
    const job = wordcount();
    job.paralelism = 2;
    job.nodes[0].connector.pth = 'x';
    expectProblem(job, 'paralelism', /did you mean "parallelism"/);
    expectProblem(job, 'nodes[0].connector.pth', /did you mean "path"/);
  });

  it('renders paths into unions, e.g. an unknown connector kind', () => {
    const job = wordcount();
    job.nodes[3].connector = { kind: 'fil', path: 'x' };
    expectProblem(job, 'nodes[3].connector.kind', /must be one of "generator", "file", "stdout", "kafka".*"file"/);
  });

  it('restart: a strategy with Flink\'s defaults, or the older {attempts, delay}; problems by path', () => {
    const withRestart = (restart: unknown) => ({ ...wordcount(), restart });
    expect(parseJobSpec(withRestart({ strategy: 'failure-rate' })).restart).toEqual({
      strategy: 'failure-rate', maxFailuresPerInterval: 1, failureRateInterval: 60_000, delay: 1000,
    });
    expect(parseJobSpec(withRestart({ strategy: 'fixed-delay' })).restart).toEqual({ strategy: 'fixed-delay', attempts: 1, delay: 1000 });
    expect(parseJobSpec(withRestart({ attempts: 3 })).restart).toEqual({ strategy: 'fixed-delay', attempts: 3, delay: 1000 });
    // the parsed form parses to itself (the client parses, then the JobManager again)
    const parsed = parseJobSpec(withRestart({ strategy: 'exponential-delay', maxBackoff: 5000 }));
    expect(parseJobSpec(parsed)).toEqual(parsed);
    expectProblem(withRestart({ strategy: 'fixed-dalay' }), 'restart.strategy', /must be one of "none", "fixed-delay", "failure-rate", "exponential-delay" \(did you mean "fixed-delay"\?\)/);
    expectProblem(withRestart({ strategy: 'none', attempts: 2 }), 'restart.attempts', /unknown key/);
    expectProblem(withRestart({ atempts: 2 }), 'restart.atempts', /did you mean "attempts"/);
    expectProblem(withRestart({ strategy: 'exponential-delay', initialBackoff: 2000, maxBackoff: 1000 }), 'restart.maxBackoff', 'must be >= initialBackoff');
    expectProblem(withRestart({ strategy: 'exponential-delay', backoffMultiplier: 1 }), 'restart.backoffMultiplier', 'must be > 1');
    expectProblem(withRestart({ strategy: 'exponential-delay', jitterFactor: 2 }), 'restart.jitterFactor', 'must be <= 1');
  });

  it('says "required" for missing fields and names ranges', () => {
    const job = wordcount();
    delete job.name;
    job.maxParallelism = 40000;
    job.nodes[1].parallelism = 0;
    job.checkpointing.interval = 5;
    job.nodes[3].connector = { kind: 'kafka', brokers: [] };
    const problems = problemsOf(job);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'required' },
        { path: 'maxParallelism', message: 'must be <= 32768' },
        { path: 'nodes[1].parallelism', message: 'must be >= 1' },
        { path: 'checkpointing.interval', message: 'must be >= 10' },
        { path: 'nodes[3].connector.brokers', message: 'needs at least 1 item' },
        { path: 'nodes[3].connector.topic', message: 'required' },
      ]),
    );
  });

  it('refuses a job with no nodes and non-object input', () => {
    expectProblem({ name: 'x', nodes: [] }, 'nodes', 'needs at least 1 item');
    expectProblem('hello', '', 'must be an object');
  });

  it('checks node ids and types', () => {
    const job = wordcount();
    job.nodes[0].id = 'has space';
    job.nodes[1].type = 'flatmap';
    expectProblem(job, 'nodes[0].id', /letters, digits/);
    expectProblem(job, 'nodes[1].type', /did you mean "flatMap"/);
  });
});

describe('parseJobSpec: graph checks', () => {
  const cases: Array<[string, (job: Json) => void, string, string | RegExp]> = [
    ['duplicate id', (j) => (j.nodes[3].id = 'words'), 'nodes[3].id', 'duplicate id "words" (also nodes[1])'],
    ['unknown input', (j) => (j.nodes[1].inputs = ['lnes']), 'nodes[1].inputs[0]', 'unknown node "lnes" (did you mean "lines"?)'],
    ['input listed twice', (j) => (j.nodes[2].inputs = ['words', 'words']), 'nodes[2].inputs[1]', '"words" is already an input'],
    ['source with inputs', (j) => (j.nodes[0].inputs = ['out']), 'nodes[0].inputs', 'a source has no inputs'],
    ['source without connector', (j) => delete j.nodes[0].connector, 'nodes[0].connector', 'required for type "source"'],
    ['stdout source', (j) => (j.nodes[0].connector = { kind: 'stdout' }), 'nodes[0].connector.kind', '"stdout" can only be a sink'],
    ['generator sink', (j) => (j.nodes[3].connector = { kind: 'generator' }), 'nodes[3].connector.kind', '"generator" can only be a source'],
    ['sink without connector', (j) => delete j.nodes[3].connector, 'nodes[3].connector', 'required for type "sink"'],
    ['sink without inputs', (j) => (j.nodes[3].inputs = []), 'nodes[3].inputs', 'type "sink" needs at least one input'],
    ['operator without inputs', (j) => (j.nodes[1].inputs = []), 'nodes[1].inputs', 'type "flatMap" needs at least one input'],
    ['connector on an operator', (j) => (j.nodes[1].connector = { kind: 'stdout' }), 'nodes[1].connector', /not allowed for type "flatMap"/],
    ['keyBy on a non-keyed node', (j) => (j.nodes[1].keyBy = 'word'), 'nodes[1].keyBy', /not allowed for type "flatMap"/],
    ['partition on a keyed node', (j) => (j.nodes[2].partition = 'rebalance'), 'nodes[2].partition', /not allowed for keyed type "sum"/],
    ['partition on a source', (j) => (j.nodes[0].partition = 'broadcast'), 'nodes[0].partition', /no inputs/],
    ['node parallelism over max', (j) => (j.nodes[1].parallelism = 200), 'nodes[1].parallelism', '200 exceeds maxParallelism 128'],
    ['job parallelism over max', (j) => (j.maxParallelism = 2), 'parallelism', '4 exceeds maxParallelism 2'],
    ['no sink', (j) => j.nodes.pop(), 'nodes', /no sink/],
    [
      'forward with unequal parallelism',
      (j) => Object.assign(j.nodes[1], { partition: 'forward', parallelism: 2 }),
      'nodes[1].partition',
      '"forward" needs the parallelism of input "lines" (4), this node has 2',
    ],
  ];
  it.each(cases)('%s', (_name, breakIt, path, message) => {
    const job = wordcount();
    breakIt(job);
    expectProblem(job, path, message);
  });

  it.each([
    ['map', 'fn'], ['flatMap', 'fn'], ['filter', 'fn'], ['reduce', 'fn'], ['sum', 'field'], ['min', 'field'], ['max', 'field'],
    ['sum', 'keyBy'], ['count', 'keyBy'], ['min', 'keyBy'], ['max', 'keyBy'], ['reduce', 'keyBy'],
  ])('type "%s" needs %s', (type, field) => {
    const job = wordcount();
    job.nodes[2] = { id: 'counts', type, inputs: ['words'], fn: 'f', field: 'n', keyBy: 'word' };
    delete job.nodes[2][field];
    expectProblem(job, `nodes[2].${field}`, `required for type "${type}"`);
  });

  it('count needs only keyBy', () => {
    const job = wordcount();
    job.nodes[2] = { id: 'counts', type: 'count', inputs: ['words'], keyBy: 'word' };
    expect(() => parseJobSpec(job)).not.toThrow();
  });

  it('names the nodes of a cycle, once', () => {
    const job = wordcount();
    job.nodes[1].inputs = ['lines', 'counts'];
    const problems = problemsOf(job);
    expect(problems).toEqual([{ path: 'nodes[1].inputs', message: 'cycle: "words" → "counts" → "words"' }]);
  });

  it('finds a node that is its own input', () => {
    const job = wordcount();
    job.nodes[2].inputs = ['words', 'counts'];
    expectProblem(job, 'nodes[2].inputs', 'cycle: "counts" → "counts"');
  });

  it('reports every problem at once, with the source in the message', () => {
    const job = wordcount();
    job.nodes[1].inputs = ['lnes'];
    delete job.nodes[2].keyBy;
    job.nodes[3].parallelism = 500;
    let error: JobFileError | undefined;
    try {
      parseJobSpec(job, 'jobs/wc.json');
    } catch (err) {
      error = err as JobFileError;
    }
    expect(error?.code).toBe('INVALID_JOB_FILE');
    expect(error?.problems.map((p) => p.path)).toEqual(['nodes[1].inputs[0]', 'nodes[2].keyBy', 'nodes[3].parallelism']);
    expect(error?.message).toContain('jobs/wc.json');
    expect(error?.message).toContain('nodes[2].keyBy: required for type "sum"');
  });
});

describe('loadJobFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flinkx-jobfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function refusal(path: string): Promise<JobFileError> {
    const err = await loadJobFile(path).then(() => undefined, (e: unknown) => e);
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
