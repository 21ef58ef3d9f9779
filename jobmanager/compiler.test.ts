import { parseJobSpec } from '../common/jobfile';
import { buildExecutionGraph, buildJobGraph, type ExecutionGraph, type JobGraph } from './compiler';

type NodeIn = Record<string, unknown>;

function job(nodes: NodeIn[], parallelism = 2): ReturnType<typeof parseJobSpec> {
  return parseJobSpec({ name: 'test', parallelism, nodes });
}

const lines = (extra: NodeIn = {}): NodeIn => ({
  id: 'lines',
  type: 'source',
  connector: { kind: 'file', path: 'input.txt' },
  ...extra,
});
const sink = (inputs: string[], extra: NodeIn = {}): NodeIn => ({
  id: 'out',
  type: 'sink',
  inputs,
  connector: { kind: 'stdout' },
  ...extra,
});

/** The wordcount shape from DESIGN.md. */
function wordcount(parallelism = 4, overrides: Record<string, NodeIn> = {}): JobGraph {
  return buildJobGraph(
    job(
      [
        lines(overrides.lines),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', ...overrides.words },
        { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count', ...overrides.counts },
        sink(['counts'], overrides.out),
      ],
      parallelism,
    ),
  );
}

const vertexNames = (g: JobGraph) => g.vertices.map((v) => v.name);
const edge = (g: JobGraph, id: string) => {
  const e = g.edges.find((x) => x.id === id);
  if (!e) throw new Error(`no edge ${id} in ${JSON.stringify(g.edges.map((x) => x.id))}`);
  return e;
};
const channelsOf = (eg: ExecutionGraph, edgeId: string) =>
  eg.channels.filter((c) => c.edge === edgeId).map((c) => [c.from, c.to]);

describe('buildJobGraph: chaining', () => {
  it('chains source -> flatMap at equal parallelism into one vertex named "lines -> words"', () => {
    const g = wordcount(4);
    const v = g.vertices.find((x) => x.id === 'lines')!;
    expect(v).toBeDefined();
    expect(v.name).toBe('lines -> words');
    expect(v.nodes.map((n) => n.id)).toEqual(['lines', 'words']);
    expect(v.parallelism).toBe(4);
    // nothing else is a vertex for "words" and no edge connects lines to words
    expect(g.vertices.some((x) => x.id === 'words')).toBe(false);
    expect(g.edges.some((e) => e.id === 'lines->words')).toBe(false);
  });

  it('does not chain a keyed node: it gets its own vertex and a hash edge with keyBy', () => {
    const g = wordcount(4);
    // counts -> out is forward at equal parallelism, so the sink chains onto the keyed node
    expect(vertexNames(g)).toEqual(['lines -> words', 'counts -> out']);
    expect(g.edges).toEqual([
      { id: 'words->counts', source: 'lines', target: 'counts', partitioner: 'hash', keyBy: 'word' },
    ]);
  });

  it('hashes into a keyed node even when parallelism differs, and keeps keyBy only on hash edges', () => {
    const g = wordcount(4, { counts: { parallelism: 2 }, out: { parallelism: 2 } });
    expect(edge(g, 'words->counts')).toMatchObject({ partitioner: 'hash', keyBy: 'word' });
    for (const e of g.edges) if (e.partitioner !== 'hash') expect(e).not.toHaveProperty('keyBy');
  });

  it('uses rebalance, not forward, between nodes of different parallelism and does not chain them', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', parallelism: 3 },
        sink(['words'], { parallelism: 3 }),
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines', 'words -> out']);
    expect(g.vertices.map((v) => v.parallelism)).toEqual([2, 3]);
    expect(g.edges).toEqual([{ id: 'lines->words', source: 'lines', target: 'words', partitioner: 'rebalance' }]);
  });

  it('honours partition: "broadcast" at equal parallelism (and does not chain)', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', partition: 'broadcast' },
        sink(['words']),
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines', 'words -> out']);
    expect(edge(g, 'lines->words').partitioner).toBe('broadcast');
  });

  it('honours partition: "rebalance" at equal parallelism (no chaining), and chains an explicit "forward"', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', partition: 'rebalance' },
        sink(['words'], { partition: 'forward' }),
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines', 'words -> out']);
    expect(g.edges).toEqual([{ id: 'lines->words', source: 'lines', target: 'words', partitioner: 'rebalance' }]);
  });

  it('honours partition: "broadcast" and "rebalance" across a parallelism change', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', partition: 'broadcast', parallelism: 3 },
        sink(['words'], { partition: 'rebalance', parallelism: 3 }),
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines', 'words', 'out']);
    expect(edge(g, 'lines->words').partitioner).toBe('broadcast');
    expect(edge(g, 'words->out').partitioner).toBe('rebalance');
  });

  it('does not chain onto a node with two consumers', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'a', type: 'map', inputs: ['lines'], fn: 'identity' },
        { id: 'b', type: 'map', inputs: ['lines'], fn: 'identity' },
        sink(['a', 'b']),
      ]),
    );
    // lines has two consumers: neither a nor b chains onto it; out has two inputs: it chains onto neither
    expect(vertexNames(g).sort()).toEqual(['a', 'b', 'lines', 'out']);
    expect(g.edges.map((e) => [e.id, e.source, e.target, e.partitioner])).toEqual([
      ['lines->a', 'lines', 'a', 'forward'],
      ['lines->b', 'lines', 'b', 'forward'],
      ['a->out', 'a', 'out', 'forward'],
      ['b->out', 'b', 'out', 'forward'],
    ]);
  });

  it('still chains downstream of a fan-out point', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'a', type: 'map', inputs: ['lines'], fn: 'identity' },
        { id: 'a2', type: 'filter', inputs: ['a'], fn: 'identity' },
        { id: 'b', type: 'map', inputs: ['lines'], fn: 'identity' },
        sink(['a2', 'b']),
      ]),
    );
    expect(vertexNames(g).sort()).toEqual(['a -> a2', 'b', 'lines', 'out']);
    // the edge into out from the a-chain starts at the chain's head vertex
    expect(edge(g, 'a2->out')).toMatchObject({ source: 'a', target: 'out' });
  });

  it('chains a long forward pipeline into a single vertex', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'm1', type: 'map', inputs: ['lines'], fn: 'identity' },
        { id: 'm2', type: 'filter', inputs: ['m1'], fn: 'identity' },
        { id: 'm3', type: 'flatMap', inputs: ['m2'], fn: 'tokenize' },
        sink(['m3']),
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines -> m1 -> m2 -> m3 -> out']);
    expect(g.edges).toEqual([]);
  });

  it('hashes into a window and gives its late output an edge of its own, ending the chain there', () => {
    const g = buildJobGraph(
      job([
        lines({ timestamps: { field: 'ts' } }),
        {
          id: 'w',
          type: 'window',
          inputs: ['lines'],
          keyBy: 'word',
          window: { kind: 'tumbling', size: '1s' },
          aggregate: 'count',
        },
        sink(['w']),
        { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'stdout' } },
      ]),
    );
    expect(vertexNames(g)).toEqual(['lines', 'w', 'out', 'late']);
    expect(edge(g, 'lines->w')).toMatchObject({ partitioner: 'hash', keyBy: 'word' });
    expect(edge(g, 'w->out')).toMatchObject({ source: 'w', target: 'out', partitioner: 'forward' });
    expect(edge(g, 'w->out').sideOutput).toBeUndefined();
    expect(edge(g, 'w.late->late')).toMatchObject({
      source: 'w',
      target: 'late',
      partitioner: 'forward',
      sideOutput: 'late',
    });
  });

  it('carries the job name and maxParallelism', () => {
    const g = buildJobGraph(
      parseJobSpec({ name: 'named', parallelism: 2, maxParallelism: 64, nodes: [lines(), sink(['lines'])] }),
    );
    expect(g.name).toBe('named');
    expect(g.maxParallelism).toBe(64);
  });
});

describe('buildExecutionGraph', () => {
  it('needs as many slots as the largest vertex parallelism', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', parallelism: 5 },
        sink(['words'], { parallelism: 3 }),
      ]),
    );
    const eg = buildExecutionGraph(g);
    expect(eg.slotsNeeded).toBe(5);
    expect(eg.jobGraph).toBe(g);
  });

  it('expands every vertex into parallelism subtasks', () => {
    const g = wordcount(4, { counts: { parallelism: 3 }, out: { parallelism: 3 } });
    const eg = buildExecutionGraph(g);
    expect(eg.subtasks).toEqual([
      { vertex: 'lines', subtask: 0 },
      { vertex: 'lines', subtask: 1 },
      { vertex: 'lines', subtask: 2 },
      { vertex: 'lines', subtask: 3 },
      { vertex: 'counts', subtask: 0 },
      { vertex: 'counts', subtask: 1 },
      { vertex: 'counts', subtask: 2 },
    ]);
  });

  it('gives a forward edge one channel i -> i per subtask', () => {
    const g = buildJobGraph(
      job(
        [
          lines(),
          { id: 'a', type: 'map', inputs: ['lines'], fn: 'identity' },
          { id: 'b', type: 'map', inputs: ['lines'], fn: 'identity' },
          sink(['a', 'b']),
        ],
        3,
      ),
    );
    const eg = buildExecutionGraph(g);
    expect(edge(g, 'lines->a').partitioner).toBe('forward');
    expect(channelsOf(eg, 'lines->a')).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
  });

  it('connects a hash edge all-to-all: p_s x p_t channels', () => {
    const g = wordcount(4, { counts: { parallelism: 3 }, out: { parallelism: 3 } });
    const eg = buildExecutionGraph(g);
    const chans = channelsOf(eg, 'words->counts');
    expect(chans).toHaveLength(12);
    const expected: number[][] = [];
    for (let from = 0; from < 4; from++) for (let to = 0; to < 3; to++) expected.push([from, to]);
    expect(chans).toEqual(expected);
    expect(eg.channels).toHaveLength(12);
  });

  it('connects rebalance and broadcast edges all-to-all too', () => {
    const g = buildJobGraph(
      job([
        lines(),
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize', partition: 'broadcast' },
        sink(['words'], { parallelism: 3 }),
      ]),
    );
    const eg = buildExecutionGraph(g);
    expect(channelsOf(eg, 'lines->words')).toHaveLength(2 * 2);
    expect(edge(g, 'words->out').partitioner).toBe('rebalance');
    expect(channelsOf(eg, 'words->out')).toHaveLength(2 * 3);
    expect(new Set(channelsOf(eg, 'words->out').map((c) => c.join('/'))).size).toBe(6);
  });

  it('has no channels for a fully chained job', () => {
    const eg = buildExecutionGraph(buildJobGraph(job([lines(), sink(['lines'])], 4)));
    expect(eg.channels).toEqual([]);
    expect(eg.subtasks).toHaveLength(4);
    expect(eg.slotsNeeded).toBe(4);
  });
});
