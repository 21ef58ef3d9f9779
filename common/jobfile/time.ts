/**
 * The job-file checks of event time and windows: where `timestamps` and the window fields may be,
 * what each aggregate needs, and that an event-time window has timestamps upstream.
 */
import type { Problem } from '../errors';
import type { JobSpec, NodeSpec, WindowSpec } from './schema';

/** A window's records beyond the allowed lateness, read as input `"<window id>.late"`. */
export const LATE_OUTPUT = 'late';

/** An input names a node, or a side output of one (`"w.late"`). */
export function resolveInput(input: string, ids: { has(id: string): boolean }): { node: string; sideOutput?: string } {
  const suffix = `.${LATE_OUTPUT}`;
  if (!ids.has(input) && input.endsWith(suffix))
    return { node: input.slice(0, -suffix.length), sideOutput: LATE_OUTPUT };
  return { node: input };
}

/** The key field of a keyed node, for records from `input` (joins may name one per input). */
export function keyField(node: NodeSpec, input?: string): string {
  const k = node.keyBy!;
  return typeof k === 'string' ? k : k[input!];
}

/** Name of a window's result field: the aggregate's name, or the user aggregate's function name. */
export function resultField(node: NodeSpec): string {
  return node.aggregate === 'custom' ? node.fn! : node.aggregate!;
}

const NEEDS_FIELD = new Set(['sum', 'min', 'max', 'avg']);
const NEEDS_FN = new Set(['reduce', 'custom']);
const JOINS = new Set(['windowJoin', 'intervalJoin']);

/** Whether some node upstream of `id` (not `id` itself) declares `timestamps`. */
function hasTimestampsUpstream(job: JobSpec, id: string, index: Map<string, number>): boolean {
  const seen = new Set<string>();
  const stack = [...job.nodes[index.get(id)!].inputs];
  while (stack.length > 0) {
    const up = resolveInput(stack.pop()!, index).node;
    const i = index.get(up);
    if (i === undefined || seen.has(up)) continue;
    seen.add(up);
    if (job.nodes[i].timestamps) return true;
    stack.push(...job.nodes[i].inputs);
  }
  return false;
}

export function timeProblems(job: JobSpec, i: number, index: Map<string, number>): Problem[] {
  const problems: Problem[] = [];
  const n = job.nodes[i];
  const add = (field: string, message: string) => problems.push({ path: `nodes[${i}].${field}`, message });
  const { node: owner, sideOutput } = resolveInput(n.id, { has: () => false });
  if (sideOutput && job.nodes[index.get(owner) ?? -1]?.type === 'window') {
    add('id', `"${n.id}" is the name of window "${owner}"'s late output; choose another id`);
  }
  if (n.timestamps && n.type === 'sink') add('timestamps', 'not allowed for type "sink" (records leave a sink)');
  if (n.timestamps && !n.timestamps.field === !n.timestamps.from)
    add('timestamps', 'needs either "field" or "from": "kafka"');
  if (n.timestamps?.from && !(n.type === 'source' && n.connector?.kind === 'kafka')) {
    add('timestamps.from', 'only a source with a Kafka connector has record timestamps');
  }
  const only = (key: 'window' | 'aggregate' | 'time' | 'allowedLateness' | 'between', types: string[]) => {
    if (n[key] !== undefined && !types.includes(n.type))
      add(key, `only for type${types.length > 1 ? 's' : ''} ${types.map((t) => `"${t}"`).join(', ')}`);
  };
  only('window', ['window', 'windowJoin']);
  only('aggregate', ['window']);
  only('time', ['window']);
  only('allowedLateness', ['window']);
  only('between', ['intervalJoin']);
  if (typeof n.keyBy === 'object' && !JOINS.has(n.type))
    add('keyBy', 'a key field per input is only for joins; give one field name');
  if (JOINS.has(n.type)) return problems.concat(joinProblems(job, i, index));
  if (n.type !== 'window') return problems;
  if (!n.window) add('window', 'required for type "window"');
  if (!n.aggregate) add('aggregate', 'required for type "window"');
  else {
    if (NEEDS_FIELD.has(n.aggregate) && !n.field) add('field', `required for aggregate "${n.aggregate}"`);
    if (!NEEDS_FIELD.has(n.aggregate) && n.field) add('field', `not used by aggregate "${n.aggregate}"`);
    if (NEEDS_FN.has(n.aggregate) && !n.fn) add('fn', `required for aggregate "${n.aggregate}"`);
    if (!NEEDS_FN.has(n.aggregate) && n.fn) add('fn', `not used by aggregate "${n.aggregate}"`);
  }
  const w = n.window;
  if (w) windowShapeProblems(w).forEach(([field, message]) => add(field, message));
  if (n.time === 'processing') {
    if (n.allowedLateness) add('allowedLateness', 'only for event-time windows (processing time is never late)');
  } else if (!hasTimestampsUpstream(job, n.id, index)) {
    add('time', 'an event-time window needs "timestamps" on a node before it (or "time": "processing")');
  }
  return problems;
}

/** Flink's SlidingEventTimeWindows.MAX_WINDOW_NUM: the most windows one record may fall into. */
const MAX_WINDOW_NUM = 10_000_000;

/** Flink's checks of window assigners' parameters (sizes are >= 1 by the schema). */
function windowShapeProblems(w: WindowSpec): [field: string, message: string][] {
  if (w.kind === 'tumbling' && Math.abs(w.offset) >= w.size) {
    return [['window.offset', `|offset| must be less than the size (${w.offset} ms, size ${w.size} ms)`]];
  }
  if (w.kind !== 'sliding') return [];
  const problems: [string, string][] = [];
  if (Math.abs(w.offset) >= w.slide)
    problems.push(['window.offset', `|offset| must be less than the slide (${w.offset} ms, slide ${w.slide} ms)`]);
  if (Math.floor(w.size / w.slide) > MAX_WINDOW_NUM) {
    problems.push([
      'window.slide',
      `size / slide must be at most ${MAX_WINDOW_NUM} (Flink's limit of windows per record), here ${Math.floor(w.size / w.slide)}`,
    ]);
  }
  return problems;
}

/** A join reads two inputs, keyed per input, in event time. */
function joinProblems(job: JobSpec, i: number, index: Map<string, number>): Problem[] {
  const problems: Problem[] = [];
  const n = job.nodes[i];
  const add = (field: string, message: string) => problems.push({ path: `nodes[${i}].${field}`, message });
  if (n.inputs.length !== 2) add('inputs', `type "${n.type}" joins exactly 2 inputs`);
  if (typeof n.keyBy === 'object') {
    for (const input of n.inputs) if (!(input in n.keyBy)) add('keyBy', `needs the key field of input "${input}"`);
    for (const name of Object.keys(n.keyBy))
      if (!n.inputs.includes(name)) add(`keyBy.${name}`, 'not an input of this node');
  }
  if (n.type === 'windowJoin' && !n.window) add('window', 'required for type "windowJoin"');
  if (n.type === 'intervalJoin') {
    if (!n.between) add('between', 'required for type "intervalJoin", e.g. ["-5s", "+5s"]');
    else if (n.between[0] > n.between[1]) add('between', 'the lower bound must not be above the upper bound');
  }
  if (!hasTimestampsUpstream(job, n.id, index))
    add('inputs', 'a join runs in event time: it needs "timestamps" on a node before it');
  return problems;
}
