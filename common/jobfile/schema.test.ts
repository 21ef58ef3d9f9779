// The schema's shape checks and their wording (schema.ts, messages.ts), through parseJobSpec.
import { JobFileError, type Problem } from '../errors';
import { parseJobSpec } from '.';

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
    // Flink's default mode (CheckpointingMode.EXACTLY_ONCE).
    expect(job.checkpointing).toEqual({ interval: 1000, mode: 'exactly-once', timeout: 60000 });
    expect(job.nodes.map((n) => n.inputs)).toEqual([[], ['lines'], ['words'], ['counts']]);
    expect(job.functions).toBeUndefined();
  });

  it('fills connector defaults for generator and kafka', () => {
    const job = wordcount();
    job.nodes[0].connector = { kind: 'generator', count: 100 };
    job.nodes[3].connector = { kind: 'kafka', brokers: ['localhost:9092'], topic: 'counts' };
    const parsed = parseJobSpec(job);
    expect(parsed.nodes[0].connector).toEqual({
      kind: 'generator',
      count: 100,
      seed: 0,
      format: 'text',
      wordsPerLine: 8,
      vocabulary: 1000,
    });
    expect(parsed.nodes[3].connector).toEqual({
      kind: 'kafka',
      brokers: ['localhost:9092'],
      topic: 'counts',
      startFrom: 'earliest',
      format: 'string',
      bounded: false,
      // exactly-once: 2 × (checkpoint timeout 60 s + the default restart strategy's longest delay 60 s)
      transactionTimeout: 240_000,
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

  it("restart: a strategy with Flink's defaults, or the older {attempts, delay}; problems by path", () => {
    const withRestart = (restart: unknown) => ({ ...wordcount(), restart });
    expect(parseJobSpec(withRestart({ strategy: 'failure-rate' })).restart).toEqual({
      strategy: 'failure-rate',
      maxFailuresPerInterval: 1,
      failureRateInterval: 60_000,
      delay: 1000,
    });
    expect(parseJobSpec(withRestart({ strategy: 'fixed-delay' })).restart).toEqual({
      strategy: 'fixed-delay',
      attempts: 1,
      delay: 1000,
    });
    expect(parseJobSpec(withRestart({ attempts: 3 })).restart).toEqual({
      strategy: 'fixed-delay',
      attempts: 3,
      delay: 1000,
    });
    // the parsed form parses to itself (the client parses, then the JobManager again)
    const parsed = parseJobSpec(withRestart({ strategy: 'exponential-delay', maxBackoff: 5000 }));
    expect(parseJobSpec(parsed)).toEqual(parsed);
    expectProblem(
      withRestart({ strategy: 'fixed-dalay' }),
      'restart.strategy',
      /must be one of "none", "fixed-delay", "failure-rate", "exponential-delay" \(did you mean "fixed-delay"\?\)/,
    );
    expectProblem(withRestart({ strategy: 'none', attempts: 2 }), 'restart.attempts', /unknown key/);
    expectProblem(withRestart({ atempts: 2 }), 'restart.atempts', /did you mean "attempts"/);
    expectProblem(
      withRestart({ strategy: 'exponential-delay', initialBackoff: 2000, maxBackoff: 1000 }),
      'restart.maxBackoff',
      'must be >= initialBackoff',
    );
    expectProblem(
      withRestart({ strategy: 'exponential-delay', backoffMultiplier: 1 }),
      'restart.backoffMultiplier',
      'must be > 1',
    );
    expectProblem(
      withRestart({ strategy: 'exponential-delay', jitterFactor: 2 }),
      'restart.jitterFactor',
      'must be <= 1',
    );
  });

  it('miniBatch: latency (a duration) and size, both required as in Flink SQL', () => {
    const withMiniBatch = (miniBatch: unknown) => ({ ...wordcount(), miniBatch });
    expect(parseJobSpec(withMiniBatch({ latency: '2s', size: 5000 })).miniBatch).toEqual({ latency: 2000, size: 5000 });
    expectProblem(withMiniBatch({ latency: 1000 }), 'miniBatch.size', 'required');
    expectProblem(withMiniBatch({ size: 10 }), 'miniBatch.latency', 'required');
    expectProblem(withMiniBatch({ latency: 1000, size: 0 }), 'miniBatch.size', 'must be >= 1');
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
