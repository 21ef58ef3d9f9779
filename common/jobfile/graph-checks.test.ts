// The checks a well-shaped job must still pass (graph-checks.ts), through parseJobSpec.
import { JobFileError, type Problem } from '../errors';
import { keyByProblems, parseJobSpec } from '.';

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

describe('parseJobSpec: graph checks', () => {
  const cases: Array<[string, (job: Json) => void, string, string | RegExp]> = [
    ['duplicate id', (j) => (j.nodes[3].id = 'words'), 'nodes[3].id', 'duplicate id "words" (also nodes[1])'],
    ['duplicate uid', (j) => (j.nodes[3].uid = 'words'), 'nodes[3].uid', 'duplicate uid "words" (also nodes[1])'],
    [
      'unknown input',
      (j) => (j.nodes[1].inputs = ['lnes']),
      'nodes[1].inputs[0]',
      'unknown node "lnes" (did you mean "lines"?)',
    ],
    [
      'input listed twice',
      (j) => (j.nodes[2].inputs = ['words', 'words']),
      'nodes[2].inputs[1]',
      '"words" is already an input',
    ],
    ['source with inputs', (j) => (j.nodes[0].inputs = ['out']), 'nodes[0].inputs', 'a source has no inputs'],
    [
      'source without connector',
      (j) => delete j.nodes[0].connector,
      'nodes[0].connector',
      'required for type "source"',
    ],
    [
      'stdout source',
      (j) => (j.nodes[0].connector = { kind: 'stdout' }),
      'nodes[0].connector.kind',
      '"stdout" can only be a sink',
    ],
    [
      'generator sink',
      (j) => (j.nodes[3].connector = { kind: 'generator' }),
      'nodes[3].connector.kind',
      '"generator" can only be a source',
    ],
    ['sink without connector', (j) => delete j.nodes[3].connector, 'nodes[3].connector', 'required for type "sink"'],
    ['sink without inputs', (j) => (j.nodes[3].inputs = []), 'nodes[3].inputs', 'type "sink" needs at least one input'],
    [
      'operator without inputs',
      (j) => (j.nodes[1].inputs = []),
      'nodes[1].inputs',
      'type "flatMap" needs at least one input',
    ],
    [
      'connector on an operator',
      (j) => (j.nodes[1].connector = { kind: 'stdout' }),
      'nodes[1].connector',
      /not allowed for type "flatMap"/,
    ],
    [
      'keyBy on a non-keyed node',
      (j) => (j.nodes[1].keyBy = 'word'),
      'nodes[1].keyBy',
      /not allowed for type "flatMap"/,
    ],
    [
      'partition on a keyed node',
      (j) => (j.nodes[2].partition = 'rebalance'),
      'nodes[2].partition',
      /not allowed for keyed type "sum"/,
    ],
    ['partition on a source', (j) => (j.nodes[0].partition = 'broadcast'), 'nodes[0].partition', /no inputs/],
    [
      'node parallelism over max',
      (j) => (j.nodes[1].parallelism = 200),
      'nodes[1].parallelism',
      '200 exceeds maxParallelism 128',
    ],
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
    ['map', 'fn'],
    ['flatMap', 'fn'],
    ['filter', 'fn'],
    ['reduce', 'fn'],
    ['sum', 'field'],
    ['min', 'field'],
    ['max', 'field'],
    ['sum', 'keyBy'],
    ['count', 'keyBy'],
    ['min', 'keyBy'],
    ['max', 'keyBy'],
    ['reduce', 'keyBy'],
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
    expect(error?.problems.map((p) => p.path)).toEqual([
      'nodes[1].inputs[0]',
      'nodes[2].keyBy',
      'nodes[3].parallelism',
    ]);
    expect(error?.message).toContain('jobs/wc.json');
    expect(error?.message).toContain('nodes[2].keyBy: required for type "sum"');
  });
});

describe('keyByProblems: a keyBy field that records of a known shape lack', () => {
  /** The problem of the valid job `input` at `path`, the only one. */
  const expectKeyProblem = (input: Json, path: string, message: string | RegExp) => {
    const problems = keyByProblems(parseJobSpec(input));
    expect(problems).toEqual([
      { path, message: typeof message === 'string' ? message : expect.stringMatching(message) },
    ]);
  };
  const fine = (input: Json) => expect(keyByProblems(parseJobSpec(input))).toEqual([]);
  /** source → (filter) → `keyed`, keyed by `keyBy`. */
  const job = (source: Json, keyed: Json, filter = false): Json => ({
    name: 'k',
    nodes: [
      { id: 'in', type: 'source', connector: source },
      ...(filter ? [{ id: 'f', type: 'filter', inputs: ['in'], fn: 'keep' }] : []),
      { id: 'k', inputs: [filter ? 'f' : 'in'], ...keyed },
      { id: 'out', type: 'sink', inputs: ['k'], connector: { kind: 'stdout' } },
    ],
  });
  const sequence = { kind: 'generator', format: 'sequence' };

  it('records of a source of lines are strings; such a graph is still valid (parseJobSpec takes it)', () => {
    expect(() => parseJobSpec(job({ kind: 'file', path: 'x' }, { type: 'count', keyBy: 'word' }))).not.toThrow();
    const lines =
      /^the records of "in" \(a file source\) are strings, which have no field "word": make them objects first/;
    expectKeyProblem(job({ kind: 'file', path: 'x' }, { type: 'count', keyBy: 'word' }), 'nodes[1].keyBy', lines);
    expectKeyProblem(
      job({ kind: 'generator' }, { type: 'count', keyBy: 'word' }),
      'nodes[1].keyBy',
      /\(a text generator\) are strings/,
    );
    expectKeyProblem(
      job({ kind: 'kafka', brokers: ['b:9092'], topic: 't' }, { type: 'count', keyBy: 'word' }),
      'nodes[1].keyBy',
      /Kafka source of format "string"/,
    );
  });

  it('the sequence generator, through a filter, has only "seq"', () => {
    expectKeyProblem(
      job(sequence, { type: 'count', keyBy: 'sq' }, true),
      'nodes[2].keyBy',
      'the records of "f" have the fields "seq", not "sq" (did you mean "seq"?)',
    );
    fine(job(sequence, { type: 'count', keyBy: 'seq' }, true));
  });

  it('a count or a window emits its key field and its result', () => {
    const chained = (second: Json): Json => ({
      name: 'k',
      nodes: [
        { id: 'in', type: 'source', connector: sequence, timestamps: { field: 'seq' } },
        {
          id: 'c',
          type: 'window',
          inputs: ['in'],
          keyBy: 'seq',
          window: { kind: 'tumbling', size: 10 },
          aggregate: 'count',
        },
        { id: 'k', inputs: ['c'], ...second },
        { id: 'out', type: 'sink', inputs: ['k'], connector: { kind: 'stdout' } },
      ],
    });
    expectKeyProblem(
      chained({ type: 'count', keyBy: 'cout' }),
      'nodes[2].keyBy',
      'the records of "c" have the fields "seq", "windowStart", "windowEnd", "count", not "cout" (did you mean "count"?)',
    );
    for (const keyBy of ['seq', 'windowStart', 'count']) fine(chained({ type: 'count', keyBy }));
  });

  it("a join names the input whose records lack the field; records of unknown shape (a map's) are not checked", () => {
    const j: Json = {
      name: 'j',
      nodes: [
        { id: 'a', type: 'source', connector: sequence, timestamps: { field: 'seq' } },
        { id: 'b', type: 'source', connector: sequence, timestamps: { field: 'seq' } },
        { id: 'm', type: 'map', inputs: ['b'], fn: 'f' },
        {
          id: 'j',
          type: 'windowJoin',
          inputs: ['a', 'm'],
          keyBy: { a: 'id', m: 'id' },
          window: { kind: 'tumbling', size: 10 },
        },
        { id: 'out', type: 'sink', inputs: ['j'], connector: { kind: 'stdout' } },
      ],
    };
    expectKeyProblem(j, 'nodes[3].keyBy.a', 'the records of "a" have the fields "seq", not "id"');
  });
});
