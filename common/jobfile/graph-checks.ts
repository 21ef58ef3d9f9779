/**
 * Checks a well-shaped job cannot express in its schema: references between nodes, the fields each
 * node type needs, partitioning against parallelism, and cycles. Event time's checks are in time.ts.
 */
import type { Problem } from '../errors';
import { hint } from './messages';
import type { Connector, JobSpec, NodeSpec, NodeType } from './schema';
import { keyField, resolveInput, resultField, timeProblems } from './time';
import { transactionTimeoutProblems } from '../connectors/kafka-transaction-timeout';

const SOURCE_ONLY: ReadonlySet<Connector['kind']> = new Set(['generator', 'nexmark']);
const SINK_ONLY: ReadonlySet<Connector['kind']> = new Set(['stdout', 'discard']);
const KEYED: ReadonlySet<NodeType> = new Set([
  'sum',
  'count',
  'min',
  'max',
  'reduce',
  'window',
  'process',
  'windowJoin',
  'intervalJoin',
]);
const NEEDS_FN: ReadonlySet<NodeType> = new Set(['map', 'flatMap', 'filter', 'asyncMap', 'reduce', 'process']);
const NEEDS_FIELD: ReadonlySet<NodeType> = new Set(['sum', 'min', 'max']);

/** Joins have two inputs and tell records apart by the input they came from. */
export function isJoinType(type: NodeType): boolean {
  return type === 'windowJoin' || type === 'intervalJoin';
}

/** Keyed nodes read a hash shuffle on `keyBy` and keep per-key state. */
export function isKeyedType(type: NodeType): boolean {
  return KEYED.has(type);
}

/** Every graph problem of a well-shaped job, each at its path. */
export function graphProblems(job: JobSpec): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const index = new Map<string, number>();
  job.nodes.forEach((n, i) => {
    const first = index.get(n.id);
    if (first === undefined) index.set(n.id, i);
    else add(`nodes[${i}].id`, `duplicate id "${n.id}" (also nodes[${first}])`);
  });
  const uids = new Map<string, number>();
  job.nodes.forEach((n, i) => {
    const uid = n.uid ?? n.id;
    const first = uids.get(uid);
    if (first === undefined) uids.set(uid, i);
    else if (index.get(n.id) === i) add(`nodes[${i}].uid`, `duplicate uid "${uid}" (also nodes[${first}])`);
  });
  const parallelismOf = (n: NodeSpec) => n.parallelism ?? job.parallelism;

  if (job.parallelism > job.maxParallelism) {
    add('parallelism', `${job.parallelism} exceeds maxParallelism ${job.maxParallelism}`);
  }
  job.nodes.forEach((n, i) => {
    const at = (field: string) => `nodes[${i}].${field}`;
    const keyed = KEYED.has(n.type);
    n.inputs.forEach((input, j) => {
      const { node, sideOutput } = resolveInput(input, index);
      if (!index.has(node)) add(at(`inputs[${j}]`), `unknown node "${input}"${hint(input, index.keys())}`);
      else if (sideOutput && job.nodes[index.get(node)!].type !== 'window') {
        add(at(`inputs[${j}]`), `"${node}" is not a window, so it has no "${sideOutput}" output`);
      } else if (n.inputs.indexOf(input) !== j) add(at(`inputs[${j}]`), `"${input}" is already an input`);
    });

    if (n.type === 'source') {
      if (n.inputs.length > 0) add(at('inputs'), 'a source has no inputs');
      if (!n.connector) add(at('connector'), 'required for type "source"');
      else if (SINK_ONLY.has(n.connector.kind)) add(at('connector.kind'), `"${n.connector.kind}" can only be a sink`);
      if (n.partition) add(at('partition'), 'a source has no inputs to partition');
    } else {
      if (n.inputs.length === 0) add(at('inputs'), `type "${n.type}" needs at least one input`);
      if (n.type === 'sink') {
        if (!n.connector) add(at('connector'), 'required for type "sink"');
        else if (SOURCE_ONLY.has(n.connector.kind))
          add(at('connector.kind'), `"${n.connector.kind}" can only be a source`);
      } else if (n.connector) {
        add(at('connector'), `not allowed for type "${n.type}" (only sources and sinks have connectors)`);
      }
    }

    if (NEEDS_FN.has(n.type) && !n.fn) add(at('fn'), `required for type "${n.type}"`);
    if (NEEDS_FIELD.has(n.type) && !n.field) add(at('field'), `required for type "${n.type}"`);
    if (n.type === 'asyncMap' && !n.async)
      add(at('async'), 'required for type "asyncMap" (at least {"timeout": <ms>})');
    if (n.type !== 'asyncMap' && n.async) add(at('async'), `not allowed for type "${n.type}" (only asyncMap)`);
    problems.push(...timeProblems(job, i, index));
    if (keyed && !n.keyBy) add(at('keyBy'), `required for type "${n.type}"`);
    if (!keyed && n.keyBy)
      add(at('keyBy'), `not allowed for type "${n.type}" (only ${[...KEYED].join('/')} are keyed)`);

    if (n.parallelism !== undefined && n.parallelism > job.maxParallelism) {
      add(at('parallelism'), `${n.parallelism} exceeds maxParallelism ${job.maxParallelism}`);
    }
    if (keyed && n.partition) {
      add(at('partition'), `not allowed for keyed type "${n.type}" (its input is hash-partitioned by keyBy)`);
    } else if (n.partition === 'forward') {
      for (const input of new Set(n.inputs)) {
        const from = index.get(resolveInput(input, index).node);
        if (from === undefined) continue;
        const [mine, theirs] = [parallelismOf(n), parallelismOf(job.nodes[from])];
        if (mine !== theirs) {
          add(
            at('partition'),
            `"forward" needs the parallelism of input "${input}" (${theirs}), this node has ${mine}`,
          );
        }
      }
    }
  });

  if (!job.nodes.some((n) => n.type === 'sink')) add('nodes', 'the job has no sink; add a node of type "sink"');
  for (const cycle of findCycles(job.nodes, index)) {
    add(`nodes[${index.get(cycle[0])}].inputs`, `cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}`);
  }
  problems.push(...transactionTimeoutProblems(job));
  return problems;
}

/** What is known of the records a node emits: lines of text, or objects with just these fields. */
type Shape = { text: string } | { fields: string[] } | undefined;

/** The records of a built-in node whose output is known (in a valid job: no cycles). */
function shapeOf(job: JobSpec, n: NodeSpec, index: Map<string, number>): Shape {
  const c = n.connector;
  switch (n.type) {
    case 'source':
      if (c?.kind === 'file') return { text: 'a file source' };
      if (c?.kind === 'generator') return c.format === 'sequence' ? { fields: ['seq'] } : { text: 'a text generator' };
      if (c?.kind === 'kafka' && c.format === 'string') return { text: 'a Kafka source of format "string"' };
      return undefined;
    case 'count':
      return { fields: [keyField(n), n.field ?? 'count'] };
    case 'window':
      return { fields: [keyField(n), 'windowStart', 'windowEnd', resultField(n)] };
    case 'filter': {
      // Passes its input's records on as they are.
      if (n.inputs.length !== 1) return undefined;
      const { node, sideOutput } = resolveInput(n.inputs[0], index);
      return sideOutput ? undefined : shapeOf(job, job.nodes[index.get(node)!], index);
    }
    default:
      return undefined;
  }
}

/**
 * Each keyBy field that records of a known shape cannot have, in a valid job: every record would fail
 * the job at run time (a record without its key), so the job files and modules a person runs are
 * refused before they run (load.ts, the CLI). Not a graph check of every spec: a valid graph that
 * cannot run is still a graph, and the run-time failure names the record.
 */
export function keyByProblems(job: JobSpec): Problem[] {
  const index = new Map(job.nodes.map((n, i) => [n.id, i]));
  const problems: Problem[] = [];
  job.nodes.forEach((n, i) => {
    if (!isKeyedType(n.type) || !n.keyBy) return;
    for (const input of n.inputs) {
      const { node, sideOutput } = resolveInput(input, index);
      const shape = sideOutput ? undefined : shapeOf(job, job.nodes[index.get(node)!], index);
      const field = keyField(n, input);
      const path = `nodes[${i}].keyBy${typeof n.keyBy === 'object' ? `.${input}` : ''}`;
      if (shape && 'text' in shape) {
        const message = `the records of "${node}" (${shape.text}) are strings, which have no field "${field}"`;
        problems.push({ path, message: `${message}: make them objects first (e.g. a map with fn "parseJson")` });
      } else if (shape && !shape.fields.includes(field)) {
        const fields = shape.fields.map((f) => `"${f}"`).join(', ');
        problems.push({
          path,
          message: `the records of "${node}" have the fields ${fields}, not "${field}"${hint(field, shape.fields)}`,
        });
      }
    }
  });
  return problems;
}

/** Each distinct cycle once, as node ids in data-flow order. Duplicate ids resolve to their first node. */
function findCycles(nodes: NodeSpec[], index: Map<string, number>): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    state.set(id, 'active');
    stack.push(id);
    // walking inputs goes against the data flow, so a found cycle is reversed below
    for (const name of nodes[index.get(id) as number].inputs) {
      const input = resolveInput(name, index).node;
      if (!index.has(input)) continue;
      if (state.get(input) === 'active') {
        const cycle = stack.slice(stack.indexOf(input)).reverse();
        // start at the node listed first in the file, so the message reads in file order
        const first = cycle.reduce((a, b) => ((index.get(a) as number) <= (index.get(b) as number) ? a : b));
        cycle.push(...cycle.splice(0, cycle.indexOf(first)));
        const key = [...cycle].sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(input)) visit(input);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of index.keys()) if (!state.has(id)) visit(id);
  return cycles;
}
