import type { OperatorContext, Output } from './output';
import { ManualTime } from '../time/manual-time';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildJobGraph } from '../../jobmanager/compiler';
import { FunctionRegistry } from './functions';
import { createChain } from './operators';
import { parseJobSpec } from '../../common/jobfile';
import { captureJob } from '../../common/datastream/execution-context';
import { FileSink, KafkaSink, KafkaSource, PrintSink, StreamExecutionEnvironment } from '../../common/datastream/index';

const ROOT = join(__dirname, '..', '..');
const jobFile = (name: string) => parseJobSpec(JSON.parse(readFileSync(join(ROOT, 'jobs', name, 'job.json'), 'utf8')));
const tokenize = (line: string) =>
  line
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((word) => ({ word, count: 1 }));

describe('the DataStream API builds the job spec a job file would', () => {
  it('jobs/wordcount: the same nodes, with the closure named by its node id', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
    env
      .readTextFile('input.txt')
      .uid('lines')
      .flatMap(tokenize)
      .uid('words')
      .keyBy('word')
      .sum('count')
      .uid('counts')
      .sinkTo(FileSink.jsonLines('out'))
      .uid('out');
    const { spec, functions } = env.buildJob('wordcount');
    const expected = jobFile('wordcount');
    expected.nodes[1].fn = 'words';
    expect(parseJobSpec(spec)).toEqual(expected);
    expect([...functions.keys()]).toEqual(['words']);
    expect(functions.get('words')).toBe(tokenize);
  });

  it("enableMiniBatch sets the job's miniBatch", () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment().enableMiniBatch(500, 1000);
    env.readTextFile('input.txt').flatMap(tokenize).keyBy('word').sum('count').sinkTo(FileSink.jsonLines('out'));
    expect(parseJobSpec(env.buildJob('batched').spec).miniBatch).toEqual({ latency: 500, size: 1000 });
  });

  it('jobs/kafka-wordcount: Kafka source and sink, checkpointing and restarts', () => {
    const brokers = ['127.0.0.1:9092'];
    const env = StreamExecutionEnvironment.getExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(1000)
      .setRestartStrategy({ attempts: 10, delay: 1000 });
    env
      .fromSource(
        KafkaSource.strings({ brokers, topic: 'lines', startFrom: 'earliest', groupId: 'flinkx-kafka-wordcount' }),
      )
      .uid('lines')
      .flatMap(tokenize)
      .uid('words')
      .keyBy('word')
      .sum('count')
      .uid('counts')
      .sinkTo(KafkaSink.json({ brokers, topic: 'word-counts', key: 'word' }))
      .uid('out');
    const expected = jobFile('kafka-wordcount');
    expected.nodes[1].fn = 'words';
    expect(parseJobSpec(env.buildJob('kafka-wordcount').spec)).toEqual(expected);
  });
});

describe('ids, names and parallelism', () => {
  it('ids come from uid, else the name or type, made unique in creation order; names are kept', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const lines = env.readTextFile('in');
    lines
      .map((l) => l.length)
      .name('Line length!')
      .filter((n) => n > 0)
      .print();
    lines
      .map((l) => l)
      .setParallelism(3)
      .uid('map')
      .print()
      .name('Console');
    const { spec } = env.buildJob('ids');
    expect(spec.nodes.map((n) => [n.id, n.name, n.parallelism])).toEqual([
      ['source', undefined, undefined],
      ['Line-length', 'Line length!', undefined],
      ['filter', undefined, undefined],
      ['sink', undefined, undefined],
      ['map', undefined, 3],
      ['Console', undefined, undefined],
    ]);
    expect(spec.nodes[1].inputs).toEqual(['source']);
    expect(spec.nodes[5].inputs).toEqual(['map']);
  });

  it('rebalance / broadcast / forward set the partition of the next node', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const s = env.readTextFile('in');
    s.rebalance()
      .map((x) => x)
      .print();
    s.broadcast().print();
    const { spec } = env.buildJob('p');
    expect(spec.nodes.map((n) => n.partition)).toEqual([undefined, 'rebalance', undefined, 'broadcast']);
  });

  it('goes through the same validation: a duplicate uid is named by its path', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env
      .readTextFile('in')
      .uid('x')
      .map((l) => l)
      .uid('x')
      .print();
    expect(() => parseJobSpec(env.buildJob('dup').spec)).toThrow(
      /nodes\[1\]\.id: duplicate id "x" \(also nodes\[0\]\)/,
    );
  });
});

describe('key selectors', () => {
  const build = () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
    const words = env
      .readTextFile('in')
      .flatMap((l) => l.split(' ').map((w) => ({ w, n: 1 })))
      .setParallelism(1);
    words
      .keyBy((r) => r.w.toUpperCase())
      .count()
      .uid('counts')
      .setParallelism(4)
      .print();
    words
      .keyBy((r) => r.w.length)
      .sum('n')
      .uid('sums')
      .print();
    return env.buildJob('sel');
  };

  it('compute the key into a field before the shuffle and remove it after, chained on both sides', () => {
    const spec = parseJobSpec(build().spec);
    const byId = new Map(spec.nodes.map((n) => [n.id, n]));
    expect(byId.get('counts-key')).toMatchObject({ type: 'map', inputs: ['flatMap'], parallelism: 1 });
    expect(byId.get('counts')).toMatchObject({
      type: 'count',
      inputs: ['counts-key'],
      parallelism: 4,
      keyBy: '__flinkxKey',
    });
    expect(byId.get('counts-unkey')).toMatchObject({ type: 'map', inputs: ['counts'], parallelism: 4 });
    const graph = buildJobGraph(spec);
    const hash = graph.edges.find((e) => e.id === 'counts-key->counts')!;
    expect(hash).toMatchObject({ partitioner: 'hash', keyBy: '__flinkxKey' });
    expect(graph.vertices.find((v) => v.id === 'counts')!.nodes.map((n) => n.id)).toEqual(['counts', 'counts-unkey']);
  });

  it('the results carry no helper field: count gives {key, count}, sum the record with its sum', () => {
    const { spec, functions } = build();
    const nodes = parseJobSpec(spec).nodes;
    const fns = FunctionRegistry.ofJobModule(functions);
    const run = (ids: string[], input: unknown[]) => {
      const out: unknown[] = [];
      const chain = createChain(
        ids.map((id) => nodes.find((n) => n.id === id)!),
        context(fns),
        collect(out),
      );
      for (const r of input) chain.push(r);
      return out;
    };
    const words = run(['flatMap'], ['a b a']);
    expect(run(['counts-key', 'counts', 'counts-unkey'], words)).toEqual([
      { key: 'A', count: 1 },
      { key: 'B', count: 1 },
      { key: 'A', count: 2 },
    ]);
    expect(run(['sums-key', 'sums', 'sums-unkey'], words)).toEqual([
      { w: 'a', n: 1 },
      { w: 'a', n: 2 },
      { w: 'a', n: 3 },
    ]);
  });

  it('reduce gets the records as they are, strings too', () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const seen: unknown[] = [];
    env
      .readTextFile('in')
      .keyBy((s) => s.length)
      .reduce((a, b) => (seen.push([a, b]), `${a}+${b}`))
      .uid('joined')
      .print();
    const { spec, functions } = env.buildJob('reduce');
    const nodes = parseJobSpec(spec).nodes.filter((n) => n.type !== 'source' && n.type !== 'sink');
    const out: unknown[] = [];
    const chain = createChain(nodes, context(FunctionRegistry.ofJobModule(functions)), collect(out));
    for (const r of ['ab', 'c', 'de', 'fg']) chain.push(r);
    expect(out).toEqual(['ab', 'c', 'ab+de', 'ab+de+fg']);
    expect(seen).toEqual([
      ['ab', 'de'],
      ['ab+de', 'fg'],
    ]);
  });
});

function context(fns: FunctionRegistry): OperatorContext {
  return { fns, maxParallelism: 128, time: new ManualTime(), side: () => undefined };
}

function collect(out: unknown[]): Output {
  return { push: (r) => void out.push(r), watermark: () => undefined, status: () => undefined };
}

describe('execute()', () => {
  const job = () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.readTextFile('in').sinkTo(PrintSink.create());
    return env;
  };

  it('hands the job to the loader that evaluates the module, and runs nothing', () => {
    const captured = captureJob(() => job().execute('handed'));
    expect(captured?.spec.name).toBe('handed');
    expect(captureJob(() => undefined)).toBeUndefined();
  });

  it('outside a flinkx command says how to run the module; twice in one module is refused', () => {
    expect(() => job().execute('alone')).toThrow(/run it with `flinkx run <file>`/);
    expect(() =>
      captureJob(() => {
        job().execute('a');
        job().execute('b');
      }),
    ).toThrow(/execute\(\) was called twice/);
  });
});
