/**
 * Operator uids (Flink's `uid()`): the name a node's state has in snapshots and savepoints, so
 * that a new version of a job (nodes renamed, chained differently, at another parallelism) takes
 * the state of the operators it keeps. A node's uid is its `uid` field, by default its id.
 */
import type { NodeSpec } from './jobfile';

export function operatorUid(node: NodeSpec): string {
  return node.uid ?? node.id;
}

/** The state name of a node's `timestamps` stage (its watermark progress), beside the node's own. */
export function timestampsUid(node: NodeSpec): string {
  return `${operatorUid(node)}.timestamps`;
}

/** Node types whose operator holds state in snapshots (stateless map/flatMap/filter hold none). */
const STATEFUL = new Set([
  'source',
  'sink',
  'sum',
  'min',
  'max',
  'count',
  'reduce',
  'window',
  'windowJoin',
  'intervalJoin',
  'process',
  'asyncMap',
]);

/** The names under which these nodes' state appears in a snapshot. */
export function statefulUids(nodes: readonly NodeSpec[]): string[] {
  return nodes.flatMap((n) => [
    ...(STATEFUL.has(n.type) ? [operatorUid(n)] : []),
    ...(n.timestamps ? [timestampsUid(n)] : []),
  ]);
}
