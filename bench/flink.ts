/**
 * Apache Flink as a peer in the bench: builds bench/peers/flink (Maven, Flink 1.20) and runs one of
 * its jobs in a local MiniCluster, in a JVM of its own. Skipped, with a note, without `java` and `mvn`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const PROJECT = join(__dirname, '..', '..', 'bench', 'peers', 'flink');
const CLASSPATH = `${join(PROJECT, 'target', 'flink-peer.jar')}:${join(PROJECT, 'target', 'lib', '*')}`;

/**
 * What Flink's own distribution opens for Java 17 (env.java.opts.all in its config.yaml): Kryo and
 * the closure cleaner reflect into these packages, and fail without them.
 */
const JAVA_17_OPENS = [
  'java.lang',
  'java.net',
  'java.io',
  'java.nio',
  'sun.nio.ch',
  'java.lang.reflect',
  'java.text',
  'java.time',
  'java.util',
  'java.util.concurrent',
  'java.util.concurrent.atomic',
  'java.util.concurrent.locks',
].map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`);

export interface FlinkRun {
  /** Wall-clock of the whole JVM, from spawn to exit (start-up of the JVM and MiniCluster included). */
  ms: number;
  /** CPU time of the whole JVM, all threads, as it reports at the end. */
  cpuMs: number;
  /** The job's net runtime as Flink reports it (JobExecutionResult). */
  jobMs: number;
  /** Everything the job printed in its last line (e.g. record counts). */
  report: Record<string, unknown>;
}

/** Why Flink cannot be part of this bench run, or undefined when `java` and `mvn` are there. */
export function flinkMissing(): string | undefined {
  const missing = ['java', 'mvn'].filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  return missing.length === 0 ? undefined : `${missing.join(' and ')} not on PATH`;
}

/**
 * `mvn package` the peer: offline first (a warm local repository needs no network), online only when
 * that fails. Throws with Maven's output when both fail.
 */
export function buildFlinkPeer(): { offline: boolean; ms: number } {
  const t0 = performance.now();
  const mvn = (...extra: string[]) =>
    spawnSync('mvn', ['-B', '-q', '-Dstyle.color=never', ...extra, 'package'], { cwd: PROJECT, encoding: 'utf8' });
  const offline = mvn('-o');
  if (offline.status === 0) return { offline: true, ms: performance.now() - t0 };
  const online = mvn();
  if (online.status === 0) return { offline: false, ms: performance.now() - t0 };
  throw new Error(`mvn package in ${PROJECT} failed:\n${online.stdout}${online.stderr}`);
}

/** Runs `flinkx.peer.Main <args>` to completion; throws with its output when it fails. */
export function runFlink(args: string[], timeoutMs: number): Promise<FlinkRun> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn('java', [...JAVA_17_OPENS, '-cp', CLASSPATH, 'flinkx.peer.Main', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(
          new Error(
            `Flink ${args.join(' ')} exited with ${code ?? signal}\n--- stdout\n${stdout}--- stderr\n${stderr}`,
          ),
        );
        return;
      }
      const report = JSON.parse(last) as { netRuntimeMs: number; cpuMs: number };
      resolvePromise({ ms, cpuMs: report.cpuMs, jobMs: report.netRuntimeMs, report });
    });
  });
}
