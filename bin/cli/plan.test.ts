import { parseJobSpec } from '../../common/jobfile';
import { planMermaid, planOf, planText } from './plan';

const spec = parseJobSpec({
  name: 'planned',
  parallelism: 2,
  nodes: [
    { id: 'lines', type: 'source', parallelism: 1, connector: { kind: 'generator', count: 10 } },
    { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', parallelism: 1 },
    { id: 'counts', type: 'count', name: 'Count "words"', inputs: ['words'], keyBy: 'word', parallelism: 4 },
    {
      id: 'spread',
      type: 'asyncMap',
      inputs: ['counts'],
      fn: 'lookup',
      partition: 'rebalance',
      async: { timeout: 500 },
    },
    { id: 'out', type: 'sink', inputs: ['spread'], connector: { kind: 'stdout' } },
  ],
});

describe('flinkx plan', () => {
  const plan = planOf(spec);

  it('has the vertices with their chained operators, the edges with partitioners and keys, and the slots', () => {
    expect(plan.slotsNeeded).toBe(4);
    expect(plan.vertices.map((v) => [v.id, v.parallelism, v.operators.map((n) => n.id)])).toEqual([
      ['lines', 1, ['lines', 'words']],
      ['counts', 4, ['counts']],
      ['spread', 2, ['spread', 'out']],
    ]);
    expect(plan.edges.map((e) => [e.source, e.target, e.partitioner, e.keyBy])).toEqual([
      ['lines', 'counts', 'hash', 'word'],
      ['counts', 'spread', 'rebalance', undefined],
    ]);
  });

  it('prints them as aligned text', () => {
    const text = planText(plan);
    expect(text).toMatch(/^job planned: 3 vertices, 4 slots needed \(maxParallelism 128\)$/m);
    expect(text).toMatch(/^lines +1 +lines +source +generator$/m);
    expect(text).toMatch(/^ +words +flatMap +fn tokenize$/m);
    expect(text).toMatch(/^counts +4 +counts \("Count "words""\) +count +keyBy word$/m);
    expect(text).toMatch(/^words->counts +lines +counts +hash\(word\)$/m);
    expect(text).toMatch(/^counts->spread +counts +spread +rebalance$/m);
    expect(text).toMatch(
      /^spread +2 +spread +asyncMap +fn lookup, capacity 100, timeout 500 ms, ordered, on timeout fail$/m,
    );
  });

  it('prints a Mermaid flowchart with numbered vertices and escaped labels', () => {
    expect(planMermaid(plan).split('\n')).toEqual([
      'flowchart LR',
      '  v0["lines: source<br/>words: flatMap<br/>parallelism 1"]',
      '  v1["Count #quot;words#quot;: count<br/>parallelism 4"]',
      '  v2["spread: asyncMap<br/>out: sink<br/>parallelism 2"]',
      '  v0 -- "hash(word)" --> v1',
      '  v1 -- "rebalance" --> v2',
    ]);
  });
});

describe('flinkx plan of a join keyed per input', () => {
  it('names each input with its key field (not [object Object])', () => {
    const joined = parseJobSpec({
      name: 'joined',
      nodes: [
        { id: 'orders', type: 'source', connector: { kind: 'generator', count: 10 }, timestamps: { field: 'ts' } },
        { id: 'clicks', type: 'source', connector: { kind: 'generator', count: 10 }, timestamps: { field: 'ts' } },
        {
          id: 'wj',
          type: 'windowJoin',
          inputs: ['orders', 'clicks'],
          keyBy: { orders: 'user', clicks: 'uid' },
          window: { kind: 'tumbling', size: '1s' },
        },
        { id: 'out', type: 'sink', inputs: ['wj'], connector: { kind: 'stdout' } },
      ],
    });
    expect(planText(planOf(joined))).toMatch(/^wj +\d+ +wj +windowJoin +keyBy orders\.user, clicks\.uid$/m);
  });
});
