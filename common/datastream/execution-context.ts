/**
 * How a job module hands its dataflow to whoever evaluates it. A job module (`flinkx run job.ts`) is
 * bundled once and evaluated in two places: by the client (run, submit, plan), which needs the job
 * spec, and by every TaskManager slot, which needs the user functions by id. Both evaluate it inside
 * `captureJob`, and `execute()` passes the built job here and returns: it never runs the job itself,
 * so evaluating the module on a TaskManager only rebuilds the graph.
 *
 * The handler lives on globalThis under a registered symbol because the bundle carries its own copy
 * of this API, a different module instance from the loader's.
 */
import type { BuiltJob } from './transformation';

const HANDLER = Symbol.for('flinkx.datastream.executionHandler');
type Handler = (job: BuiltJob) => void;
type Global = typeof globalThis & { [HANDLER]?: Handler };

/** Called by `execute()`. Outside a loader there is nothing to hand the job to. */
export function handOver(job: BuiltJob): void {
  const handler = (globalThis as Global)[HANDLER];
  if (!handler) {
    throw new Error(
      `job "${job.spec.name}" is a flinkx job module: run it with \`flinkx run <file>\` or \`flinkx submit <file>\``,
    );
  }
  handler(job);
}

/**
 * Evaluates a job module (`evaluate` requires or runs it) and returns the job its `execute()` built,
 * or undefined when it never called execute() (a plain functions module of a job file).
 */
export function captureJob(evaluate: () => void): BuiltJob | undefined {
  const g = globalThis as Global;
  const previous = g[HANDLER];
  let captured: BuiltJob | undefined;
  g[HANDLER] = (job) => {
    if (captured)
      throw new Error(
        `execute() was called twice ("${captured.spec.name}", then "${job.spec.name}"); a job module defines one job`,
      );
    captured = job;
  };
  try {
    evaluate();
  } finally {
    g[HANDLER] = previous;
  }
  return captured;
}
