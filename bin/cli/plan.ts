/**
 * `flinkx plan`: the JobGraph a job compiles to, without running it: vertices with their chained
 * operators and parallelism, edges with partitioners and key fields, and the slots it needs.
 */
import type { JobSpec, NodeSpec } from '../../common/jobfile';
import type { PlanEdge } from '../../common/plan';
import { buildExecutionGraph, buildJobGraph } from '../../jobmanager/compiler';
import { table } from './format';

export interface Plan {
  name: string;
  maxParallelism: number;
  slotsNeeded: number;
  vertices: { id: string; name: string; parallelism: number; operators: NodeSpec[] }[];
  edges: PlanEdge[];
}

export function planOf(spec: JobSpec): Plan {
  const graph = buildExecutionGraph(buildJobGraph(spec));
  const { name, maxParallelism, vertices, edges } = graph.jobGraph;
  return {
    name,
    maxParallelism,
    slotsNeeded: graph.slotsNeeded,
    vertices: vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, operators: v.nodes })),
    edges,
  };
}

/** What an operator does, in one cell: `file /data/in.txt`, `fn tokenize`, `keyBy word, field count`. */
function detail(n: NodeSpec): string {
  const c = n.connector;
  const parts = [
    c && (c.kind === 'file' ? `file ${c.path}` : c.kind === 'kafka' ? `kafka ${c.topic} (${c.format})` : c.kind),
    n.fn && `fn ${n.fn}`,
    n.keyBy && `keyBy ${keyByText(n.keyBy)}`,
    n.field && `field ${n.field}`,
    n.async &&
      `capacity ${n.async.capacity}, timeout ${n.async.timeout} ms, ${n.async.ordered ? 'ordered' : 'unordered'}, on timeout ${n.async.onTimeout}`,
  ];
  return parts.filter(Boolean).join(', ');
}

/** A join keyed per input reads `orders.user, clicks.uid`. */
const keyByText = (keyBy: NonNullable<NodeSpec['keyBy']>) =>
  typeof keyBy === 'string'
    ? keyBy
    : Object.entries(keyBy)
        .map(([input, field]) => `${input}.${field}`)
        .join(', ');

const edgeLabel = (e: PlanEdge) => (e.keyBy ? `${e.partitioner}(${e.keyBy})` : e.partitioner);

export function planText(plan: Plan): string {
  const lines = [
    `job ${plan.name}: ${plan.vertices.length} vertices, ${plan.slotsNeeded} slot${plan.slotsNeeded === 1 ? '' : 's'} needed (maxParallelism ${plan.maxParallelism})`,
    '',
  ];
  const rows = plan.vertices.flatMap((v) =>
    v.operators.map((n, i) => [
      i === 0 ? v.id : '',
      i === 0 ? v.parallelism : '',
      n.name ? `${n.id} ("${n.name}")` : n.id,
      n.type,
      detail(n),
    ]),
  );
  lines.push(table(['vertex', 'parallelism', 'operator', 'type', 'details'], rows));
  lines.push('');
  if (plan.edges.length === 0) lines.push('no edges: every operator is chained into one vertex');
  else
    lines.push(
      table(
        ['edge', 'from', 'to', 'partitioner'],
        plan.edges.map((e) => [e.id, e.source, e.target, edgeLabel(e)]),
      ),
    );
  return lines.join('\n');
}

/** A flowchart for docs; vertex ids are not always valid Mermaid ids, so they are numbered. */
export function planMermaid(plan: Plan): string {
  const ref = new Map(plan.vertices.map((v, i) => [v.id, `v${i}`]));
  const quote = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const v of plan.vertices) {
    const ops = v.operators.map((n) => `${n.name ?? n.id}: ${n.type}`).join('<br/>');
    lines.push(`  ${ref.get(v.id)}[${quote(`${ops}<br/>parallelism ${v.parallelism}`)}]`);
  }
  for (const e of plan.edges) lines.push(`  ${ref.get(e.source)} -- ${quote(edgeLabel(e))} --> ${ref.get(e.target)}`);
  return lines.join('\n');
}
