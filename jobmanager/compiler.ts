/**
 * Job file → JobGraph → ExecutionGraph.
 *
 * JobGraph: nodes connected by a forward edge with equal parallelism, where the consumer has that
 * single input and the producer that single consumer, are chained into one vertex (records pass by
 * function call). Every other connection becomes a JobEdge with a partitioner:
 *   keyed consumer → hash(keyBy); explicit `partition` → that; equal parallelism → forward;
 *   otherwise rebalance.
 * ExecutionGraph: each vertex expanded into `parallelism` subtasks; a forward edge has channels
 * i → i, every other edge connects each producer subtask with each consumer subtask.
 */
import { isJoinType, isKeyedType, keyField, resolveInput, type JobSpec, type NodeSpec } from '../common/jobfile';
import type { Partitioner, PlanEdge, PlanVertex } from '../common/plan';

export interface JobGraph {
  name: string;
  maxParallelism: number;
  vertices: PlanVertex[];
  edges: PlanEdge[];
}

export interface ExecutionChannel {
  edge: string;
  from: number;
  to: number;
}

export interface ExecutionGraph {
  jobGraph: JobGraph;
  /** Slots needed with slot sharing: the largest vertex parallelism. */
  slotsNeeded: number;
  subtasks: { vertex: string; subtask: number }[];
  channels: ExecutionChannel[];
}

function parallelismOf(spec: JobSpec, node: NodeSpec): number {
  return node.parallelism ?? spec.parallelism;
}

function partitionerFor(spec: JobSpec, from: NodeSpec, to: NodeSpec): Partitioner {
  if (isKeyedType(to.type)) return 'hash';
  if (to.partition) return to.partition;
  return parallelismOf(spec, from) === parallelismOf(spec, to) ? 'forward' : 'rebalance';
}

export function buildJobGraph(spec: JobSpec): JobGraph {
  const byId = new Map(spec.nodes.map((n) => [n.id, n]));
  const consumers = new Map<string, NodeSpec[]>(spec.nodes.map((n) => [n.id, []]));
  for (const n of spec.nodes) for (const input of n.inputs) consumers.get(resolveInput(input, byId).node)?.push(n);

  // `n` chains onto its single input when nothing else feeds it or consumes from that input;
  // a side output (a window's late records) always crosses an edge, so its producer ends a chain.
  const chainsOntoInput = (n: NodeSpec): boolean => {
    if (n.inputs.length !== 1 || resolveInput(n.inputs[0], byId).sideOutput) return false;
    const up = byId.get(n.inputs[0])!;
    return (
      consumers.get(up.id)!.length === 1 &&
      partitionerFor(spec, up, n) === 'forward' &&
      parallelismOf(spec, up) === parallelismOf(spec, n)
    );
  };

  const vertexOf = new Map<string, string>();
  const vertices: PlanVertex[] = [];
  for (const head of spec.nodes.filter((n) => !chainsOntoInput(n))) {
    const chain = [head];
    for (let next = consumers.get(head.id)!; next.length === 1 && chainsOntoInput(next[0]);) {
      chain.push(next[0]);
      next = consumers.get(next[0].id)!;
    }
    for (const n of chain) vertexOf.set(n.id, head.id);
    vertices.push({
      id: head.id,
      name: chain.map((n) => n.name ?? n.id).join(' -> '),
      parallelism: parallelismOf(spec, head),
      nodes: chain,
    });
  }

  const edges: PlanEdge[] = [];
  for (const n of spec.nodes) {
    if (chainsOntoInput(n)) continue;
    for (const input of n.inputs) {
      const { node, sideOutput } = resolveInput(input, byId);
      const partitioner = partitionerFor(spec, byId.get(node)!, n);
      edges.push({
        id: `${input}->${n.id}`,
        source: vertexOf.get(node)!,
        target: vertexOf.get(n.id)!,
        partitioner,
        ...(partitioner === 'hash' ? { keyBy: keyField(n, input) } : {}),
        ...(sideOutput ? { sideOutput } : {}),
        ...(isJoinType(n.type) ? { input } : {}),
      });
    }
  }
  return { name: spec.name, maxParallelism: spec.maxParallelism, vertices, edges };
}

export function buildExecutionGraph(jobGraph: JobGraph): ExecutionGraph {
  const parallelism = new Map(jobGraph.vertices.map((v) => [v.id, v.parallelism]));
  const subtasks = jobGraph.vertices.flatMap((v) =>
    Array.from({ length: v.parallelism }, (_, subtask) => ({ vertex: v.id, subtask })),
  );
  const channels: ExecutionChannel[] = [];
  for (const e of jobGraph.edges) {
    const ps = parallelism.get(e.source)!;
    const pt = parallelism.get(e.target)!;
    for (let from = 0; from < ps; from++) {
      if (e.partitioner === 'forward') channels.push({ edge: e.id, from, to: from });
      else for (let to = 0; to < pt; to++) channels.push({ edge: e.id, from, to });
    }
  }
  return { jobGraph, slotsNeeded: Math.max(...parallelism.values()), subtasks, channels };
}
