/**
 * The seed engine's DAG file (YAML: source → map → keyby → window → reduce → sink, each with its
 * parallelism `num`), read as the seed's code reads it and translated into a job file:
 *
 *   source  Kafka at `data-from`, topic `test` (or `topic`), from the latest offset (or `start: earliest`),
 *           text messages such as `apple,1700000000`
 *   map     `regexp`: the groups before the last are key fields k0, k1, ...; the last is the event time
 *           in epoch seconds; `value` is the value counted. The seed has no watermark settings: we
 *           allow 5 s of out-of-orderness, and a map subtask without messages for 1 s goes idle.
 *   keyby   `key`: the index of the key field; `num` is the parallelism of the first window
 *   window  `assign`: tumbling event-time window size; `func` (sum/max/min) of the value per key and
 *           window = table 1 (`word_count`); `filter: distinct` = table 2 (`word_freq`): per window, how
 *           many keys have each value
 *   reduce  `aggregation: sum` combines the keyby subtasks' partial tables: table 2 is one keyed window
 *           over every key's value (keyed by value, parallelism `num`), which is the sum of the
 *           per-subtask partial counts
 *   sink    `data-to: terminal` prints a JSON line per row `{table, windowStart, windowEnd, key, value}`;
 *           a path writes files there
 *
 * Results are emitted once per window, when the watermark passes its end, so a row never changes and
 * table 2 needs none of the seed's retractions to stay correct.
 */
import { z } from 'zod';
import { parseDuration } from './duration';
import { JobFileError, type Problem } from './errors';
import type { YamlPath, YamlPosition } from './yaml';

const num = z.number().int().min(1).default(1);
const DagSchema = z.strictObject({
  mode: z.enum(['on', 'off']).default('on'),
  source: z.strictObject({
    num,
    'data-from': z.array(z.string().min(1)).min(1),
    topic: z.string().min(1).default('test'),
    start: z.enum(['latest', 'earliest']).default('latest'),
  }),
  map: z.strictObject({ num, regexp: z.string().min(1), value: z.number().default(1) }),
  keyby: z.strictObject({ num, key: z.number().int().min(0).default(0) }),
  window: z.strictObject({
    func: z.enum(['sum', 'max', 'min']),
    filter: z.literal('distinct').optional(),
    assign: z.union([z.string(), z.number()]),
    table: z.array(z.string().min(1)).min(1).max(2),
  }),
  reduce: z.strictObject({ num, aggregation: z.literal('sum') }).optional(),
  sink: z.strictObject({ num, 'data-to': z.string().min(1) }),
});

function message(iss: z.core.$ZodIssue): string {
  if (iss.code === 'invalid_type')
    return (iss as { input?: unknown }).input === undefined ? 'required' : `must be a ${iss.expected}`;
  if (iss.code === 'invalid_value') return `must be ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  if (iss.code === 'unrecognized_keys')
    return `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.join(', ')} (the seed's DAG has no such setting)`;
  return iss.message;
}

/** `window.table[1]`: keys joined by dots, indexes in brackets, as job-file paths are written. */
function pathName(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * A job file (as JSON, to be validated like any other) for the seed DAG `dag` parsed from YAML;
 * with `positionOf` (the YAML file's), every problem also names the line of its field.
 */
export function seedDagJob(
  dag: unknown,
  name: string,
  source?: string,
  positionOf?: (path: YamlPath) => YamlPosition,
): unknown {
  const problem = (path: YamlPath, message: string, at: YamlPath = path): Problem => ({
    path: pathName(path),
    message,
    ...(positionOf && { line: positionOf(at).line }),
  });
  const parsed = DagSchema.safeParse(dag);
  if (!parsed.success) {
    throw new JobFileError(
      parsed.error.issues.map((iss) => {
        const path = iss.path as YamlPath;
        // unknown keys: the line of the first of them, not of the mapping holding them
        return problem(path, message(iss), iss.code === 'unrecognized_keys' ? [...path, iss.keys[0]] : path);
      }),
      source,
    );
  }
  const d = parsed.data;
  const problems: Problem[] = [];
  if (d.mode === 'off') problems.push(problem(['mode'], 'the DAG is switched off (mode: off); set mode: on to run it'));
  let groups = 0;
  try {
    groups = new RegExp(`${d.map.regexp}|`).exec('')!.length - 1;
  } catch (err) {
    problems.push(problem(['map', 'regexp'], `not a regular expression: ${(err as Error).message}`));
  }
  if (groups > 0 && groups < 2)
    problems.push(problem(['map', 'regexp'], 'needs a group for the key and a last group for the time in seconds'));
  if (groups >= 2 && d.keyby.key > groups - 2)
    problems.push(problem(['keyby', 'key'], `the regexp has ${groups - 1} key group(s): 0..${groups - 2}`));
  const size = parseDuration(d.window.assign);
  if (size === undefined || size <= 0) problems.push(problem(['window', 'assign'], 'must be a duration like "30s"'));
  const [countTable, freqTable] = d.window.table;
  if (d.window.filter && !freqTable)
    problems.push(problem(['window', 'table'], 'filter: distinct needs a second table name (e.g. word_freq)'));
  if (!d.window.filter && freqTable)
    problems.push(problem(['window', 'table', 1], 'a second table needs window.filter: distinct'));
  if (problems.length > 0) throw new JobFileError(problems, source);

  const key = `k${d.keyby.key}`;
  const fields = [...Array(groups - 1).keys()].map((i) => `k${i}`).concat('time');
  const window = { kind: 'tumbling', size };
  const nodes: Record<string, unknown>[] = [
    {
      id: 'source',
      type: 'source',
      parallelism: d.source.num,
      connector: {
        kind: 'kafka',
        brokers: d.source['data-from'],
        topic: d.source.topic,
        startFrom: d.source.start,
        format: 'string',
      },
    },
    {
      id: 'map',
      type: 'flatMap',
      inputs: ['source'],
      parallelism: d.map.num,
      fn: 'regexp',
      args: { pattern: d.map.regexp, fields, set: { value: d.map.value } },
      timestamps: { field: 'time', unit: 's', maxOutOfOrderness: '5s', idleTimeout: '1s' },
    },
    {
      id: countTable,
      type: 'window',
      inputs: ['map'],
      parallelism: d.keyby.num,
      keyBy: key,
      window,
      aggregate: d.window.func,
      field: 'value',
    },
    {
      id: `${countTable}-rows`,
      type: 'map',
      inputs: [countTable],
      parallelism: d.keyby.num,
      fn: 'tableRow',
      args: { table: countTable, key, value: d.window.func },
    },
  ];
  if (freqTable) {
    const parallelism = d.reduce?.num ?? 1;
    nodes.push(
      {
        id: freqTable,
        type: 'window',
        inputs: [countTable],
        parallelism,
        keyBy: d.window.func,
        window,
        aggregate: 'count',
      },
      {
        id: `${freqTable}-rows`,
        type: 'map',
        inputs: [freqTable],
        parallelism,
        fn: 'tableRow',
        args: { table: freqTable, key: d.window.func, value: 'count' },
      },
    );
  }
  const to = d.sink['data-to'];
  nodes.push({
    id: 'sink',
    type: 'sink',
    parallelism: d.sink.num,
    inputs: nodes.filter((n) => String(n.id).endsWith('-rows')).map((n) => n.id),
    connector: to === 'terminal' ? { kind: 'stdout' } : { kind: 'file', path: to },
  });
  return { name, parallelism: 1, nodes };
}
