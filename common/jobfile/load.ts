/**
 * A job file from its text (JSON, or the seed engine's YAML DAG file: see ../seed-dag.ts) to a
 * validated JobSpec: shape first, then the graph checks, every problem named by its path in the file.
 */
import { readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { JobFileError, type Problem } from '../errors';
import { seedDagJob } from '../seed-dag';
import { parseYaml, YamlError, type ParsedYaml } from '../yaml';
import { graphProblems, keyByProblems } from './graph-checks';
import { issueMessage, shapeProblems } from './messages';
import { JobSpecSchema, type JobSpec } from './schema';
import { withTransactionTimeouts } from '../connectors/kafka-transaction-timeout';

/** Validates a parsed job file (throws JobFileError naming every problem found) and fills in what depends on several fields. */
export function parseJobSpec(input: unknown, source?: string): JobSpec {
  const result = JobSpecSchema.safeParse(input, { error: issueMessage });
  if (!result.success) throw new JobFileError(shapeProblems(result.error), source);
  const problems = graphProblems(result.data);
  if (problems.length > 0) throw new JobFileError(problems, source);
  return withTransactionTimeouts(result.data);
}

/**
 * Where JSON.parse failed, as an offset. Node 20 says "at position N" for most errors, but for an
 * unexpected token it only echoes the source around it (10 characters before it, 9 after, "..." where cut),
 * so the offset is recovered from that echo and kept only if the token is really there.
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  if (/end of JSON input/.test(message)) return text.length;
  const echo = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!echo) return undefined;
  const [, token, cutStart, context, cutEnd] = echo;
  let at: number;
  if (cutStart) at = text.indexOf(context) + 10;
  else if (cutEnd) at = context.length - 10;
  else at = text.indexOf(token) === text.lastIndexOf(token) ? text.indexOf(token) : -1;
  return at >= 0 && text[at] === token ? at : undefined;
}

function jsonSyntaxProblem(text: string, err: Error): Problem {
  const offset = jsonErrorOffset(text, err.message);
  // the echoed source is noise once the position is known
  const what = err.message
    .replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, '')
    .replace(/ in JSON at position \d+.*$/, '');
  if (offset === undefined) return { path: '', message: `invalid JSON: ${what}` };
  const before = text.slice(0, offset).split('\n');
  return {
    path: '',
    message: `invalid JSON at line ${before.length}, column ${before[before.length - 1].length + 1}: ${what}`,
  };
}

function parseYamlFile(text: string, path: string): ParsedYaml {
  try {
    return parseYaml(text);
  } catch (err) {
    if (err instanceof YamlError) {
      throw new JobFileError(
        [{ path: '', message: `invalid YAML at line ${err.line}, column ${err.col}: ${err.reason}` }],
        path,
      );
    }
    throw err;
  }
}

/**
 * Reads, parses and validates a job file (JSON, or the seed engine's YAML DAG file: see seed-dag.ts), then makes its relative paths (functions module, checkpoint
 * storage, file connectors) absolute against the job file's directory, since the job may run elsewhere.
 */
export async function loadJobFile(path: string): Promise<JobSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      ENOENT: 'no such file',
      EISDIR: 'it is a directory',
      EACCES: 'permission denied',
    };
    const why = reasons[code ?? ''] ?? (err as Error).message;
    throw new JobFileError([{ path: '', message: `cannot read the job file: ${why}` }], path);
  }
  text = text.replace(/^\uFEFF/, '');
  let json: unknown;
  if (/\.ya?ml$/i.test(path)) {
    const yaml = parseYamlFile(text, path);
    json = seedDagJob(yaml.value, nodePath.basename(path).replace(/\.ya?ml$/i, ''), path, yaml.positionOf);
  } else {
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new JobFileError([jsonSyntaxProblem(text, err as Error)], path);
    }
  }
  const spec = parseJobSpec(json, path);
  const problems = keyByProblems(spec);
  if (problems.length > 0) throw new JobFileError(problems, path);
  return resolveJobPaths(spec, nodePath.dirname(nodePath.resolve(path)));
}

/** The job with its relative paths made absolute against `dir` (the job file's or job module's folder). */
export function resolveJobPaths(job: JobSpec, dir: string): JobSpec {
  const abs = (p: string) => nodePath.resolve(dir, p);
  return {
    ...job,
    ...(job.functions !== undefined && { functions: abs(job.functions) }),
    ...(job.checkpointing?.storage !== undefined && {
      checkpointing: { ...job.checkpointing, storage: abs(job.checkpointing.storage) },
    }),
    nodes: job.nodes.map((n) =>
      n.connector?.kind === 'file' ? { ...n, connector: { ...n.connector, path: abs(n.connector.path) } } : n,
    ),
  };
}
