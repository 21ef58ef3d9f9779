/**
 * StreamExecutionEnvironment: where a job module starts. It collects the transformations the
 * streams record, the job-wide settings, and on `execute()` hands the translated job to the flinkx
 * command that evaluates the module (see execution-context.ts).
 */
import { FileSource, type Source } from './connectors';
import { SingleOutputStreamOperator, type TransformationSink } from './datastream';
import { handOver } from './execution-context';
import { translate, type BuiltJob, type JobSettings, type Transformation } from './transformation';
import type { RestartInput } from '../jobfile';

export class StreamExecutionEnvironment implements TransformationSink {
  private readonly transformations: Transformation[] = [];
  private readonly settings: Omit<JobSettings, 'name'> = {};

  static getExecutionEnvironment(): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment();
  }

  add<T extends Transformation>(t: T): T {
    this.transformations.push(t);
    return t;
  }

  /** Default parallelism of every operator (the job file's `parallelism`; default 1). */
  setParallelism(parallelism: number): this {
    this.settings.parallelism = parallelism;
    return this;
  }

  /** Number of key groups, the upper bound for rescaling keyed state (default 128). */
  setMaxParallelism(maxParallelism: number): this {
    this.settings.maxParallelism = maxParallelism;
    return this;
  }

  /**
   * Checkpoints every `interval` ms. The mode defaults to exactly-once, as Flink's
   * `enableCheckpointing` does (and a job file's `checkpointing.mode`).
   */
  enableCheckpointing(
    interval: number,
    mode: 'exactly-once' | 'at-least-once' = 'exactly-once',
    options: { timeout?: number; storage?: string } = {},
  ): this {
    this.settings.checkpointing = { interval, mode, ...options };
    return this;
  }

  /** The restart strategy, as a job file's `restart` (e.g. `{strategy: 'fixed-delay', attempts: 3, delay: 1000}`). */
  setRestartStrategy(restart: RestartInput): this {
    this.settings.restart = restart;
    return this;
  }

  /**
   * Mini-batch for the job's keyed aggregations (a job file's `miniBatch`, Flink SQL's
   * `table.exec.mini-batch.*`): each key emits one update per bundle of at most `size` records
   * or `latency` ms, instead of one per record.
   */
  enableMiniBatch(latency: number, size: number): this {
    this.settings.miniBatch = { latency, size };
    return this;
  }

  fromSource<T>(source: Source<T>): SingleOutputStreamOperator<T> {
    const t = this.add({ type: 'source', inputs: [], connector: source.connector });
    return new SingleOutputStreamOperator<T>(this, t, t);
  }

  /** The lines of a text file (relative to the job module's file). */
  readTextFile(path: string): SingleOutputStreamOperator<string> {
    return this.fromSource(FileSource.lines(path));
  }

  /** The job as a job-file spec plus its user functions by id; it runs nothing. */
  buildJob(name: string): BuiltJob {
    return translate({ name, ...this.settings }, this.transformations);
  }

  /**
   * Hands the job to the flinkx command evaluating this module: `flinkx run` runs it, `flinkx submit`
   * submits it, `flinkx plan` prints it, and a TaskManager takes its functions. Unlike Flink's, it
   * returns at once and never runs the job in this process itself.
   */
  execute(name: string): void {
    handOver(this.buildJob(name));
  }
}
