/**
 * A DataStream job module (`flinkx run job.ts`): bundled with its imports into one CommonJS script,
 * evaluated here so that its `execute()` hands over the job spec, and shipped as the job's functions
 * bundle, which each TaskManager evaluates the same way to find the closures by id.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { captureJob } from '../../common/datastream/execution-context';
import { FlinkxError, JobFileError } from '../../common/errors';
import { keyByProblems, parseJobSpec, resolveJobPaths, type JobSpec } from '../../common/jobfile';

/** Files run as job modules; anything else is a job file (JSON). */
export const JOB_MODULE = /\.(ts|mts|cts|js|mjs|cjs)$/;

export class JobModuleError extends FlinkxError {
  constructor(path: string, what: string, cause?: unknown) {
    super('INVALID_JOB_MODULE', `job module ${path}: ${what}`, { cause });
  }
}

/**
 * `flinkx` in a job module is this installation's API, not whatever copy the module's folder has:
 * the handoff between execute() and this loader then always matches, and a job needs no
 * node_modules of its own.
 */
const thisFlinkx: Plugin = {
  name: 'flinkx',
  setup(b) {
    b.onResolve({ filter: /^flinkx$/ }, () => ({ path: require.resolve('../../common/datastream') }));
  },
};

/** A module (JS or TS) and its imports as one CommonJS script for Node 20; esbuild's error if it cannot. */
export async function bundleModule(path: string): Promise<string> {
  const result = await build({
    entryPoints: [path],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    absWorkingDir: dirname(path),
    plugins: [thisFlinkx],
  });
  return result.outputFiles[0].text;
}

async function bundleJobModule(path: string): Promise<string> {
  try {
    return await bundleModule(path);
  } catch (err) {
    throw new JobModuleError(path, `cannot bundle it: ${(err as Error).message}`, err);
  }
}

/** `nodes[2].keyBy` → `nodes[2] (sum "counts").keyBy`: a module has no file positions to look up. */
function nameNodes(err: JobFileError, spec: { nodes: { id?: unknown; type?: unknown }[] }, path: string): JobFileError {
  return new JobFileError(
    err.problems.map((p) => ({
      ...p,
      path: p.path.replace(/^nodes\[(\d+)\]/, (at, i: string) => {
        const n = spec.nodes[Number(i)];
        return n ? `${at} (${String(n.type)} "${String(n.id)}")` : at;
      }),
    })),
    path,
  );
}

/** Bundles, evaluates and validates a job module; paths in it are relative to its file. */
export async function loadJobModule(file: string): Promise<{ spec: JobSpec; functionsCode: string }> {
  const path = resolve(file);
  const code = await bundleJobModule(path);
  const module = { exports: {} };
  let job;
  try {
    job = captureJob(() =>
      // The bundle is CommonJS: run it as Node runs a module, with its own require and paths.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return
      new Function('exports', 'require', 'module', '__filename', '__dirname', code)(
        module.exports,
        createRequire(path),
        module,
        path,
        dirname(path),
      ),
    );
  } catch (err) {
    throw new JobModuleError(path, `it threw while building the job: ${(err as Error).message ?? String(err)}`, err);
  }
  if (!job)
    throw new JobModuleError(
      path,
      'it never called env.execute(name) while it loaded (not later, not in a callback), so it defines no job',
    );
  let spec: JobSpec;
  try {
    spec = parseJobSpec(job.spec, path);
    const problems = keyByProblems(spec);
    if (problems.length > 0) throw new JobFileError(problems, path);
  } catch (err) {
    throw err instanceof JobFileError ? nameNodes(err, job.spec, path) : err;
  }
  return { spec: resolveJobPaths(spec, dirname(path)), functionsCode: code };
}
