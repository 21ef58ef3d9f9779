/**
 * Failures with real processes: a TaskManager killed with SIGKILL mid-run, and a user function that
 * throws on a poison record. Without checkpoints a restart replays bounded sources from the start.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor, writePacedJob } from './harness';
import { expectedCounts, pacedWordcountJob, sinkCounts, writeText } from './wordcount';

jest.setTimeout(180_000);

describe('recovery', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2], ['--heartbeat-timeout', '3000']);
  });
  afterAll(() => cluster.stop());

  test('a TaskManager killed with SIGKILL mid-run: the job restarts on a new one and the counts are exact', async () => {
    const dir = tempDir();
    // Paced 1 ms per line (25 000 lines per source subtask) until the kill: the job surely still runs then.
    writeText(join(dir, 'input.txt'), 100_000, 11);
    const spec = pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 4, {
      restart: { attempts: 3, delay: 200 },
    });
    const { jobFile, release } = writePacedJob(dir, spec, 1);
    const jobId = await cluster.submit(jobFile);
    await waitFor(
      'records flowing',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        return j.state === 'RUNNING' && j.vertices[0].recordsIn > 0 ? j : undefined;
      },
      60_000,
    );
    cluster.taskManagers[0].kill('SIGKILL');
    cluster.startTaskManager(2);
    release();

    const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(job.state).toBe('FINISHED');
    expect(job.restarts).toBeGreaterThanOrEqual(1);
    expect(job.exceptions[0].message).toMatch(/TaskManager .* was lost/);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
  });

  test('a poison record exhausts the restart attempts and the job ends FAILED with the cause', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'input.txt'), 'fine\nalso fine\npoison\nfine again\n');
    writeFileSync(
      join(dir, 'fns.ts'),
      'export function check(line: string): string {\n  if (line === "poison") throw new Error(`cannot digest ${line}`);\n  return line;\n}\n',
    );
    const job = {
      name: 'poison',
      parallelism: 1,
      functions: 'fns.ts',
      restart: { attempts: 2, delay: 100 },
      nodes: [
        { id: 'lines', type: 'source', connector: { kind: 'file', path: 'input.txt' } },
        { id: 'check', type: 'map', inputs: ['lines'], fn: 'check' },
        { id: 'out', type: 'sink', inputs: ['check'], connector: { kind: 'file', path: 'out' } },
      ],
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.restarts).toBe(2);
    expect(failed.failure.message).toMatch(/operator "check" threw: cannot digest poison/);
    expect(failed.failure.stack).toMatch(/fns\.ts|check/);
    expect(failed.exceptions).toHaveLength(3);

    const status = cluster.cli(['status', jobId]);
    expect(status.stdout).toMatch(/FAILED/);
    expect(status.stdout).toMatch(/cannot digest poison/);
  });

  /** A one-node-chain job over a tiny file whose `check` function comes from `fnsCode`, with restarts to spare. */
  async function submitWithFunctions(name: string, fnsCode: string): Promise<string> {
    const dir = tempDir();
    writeFileSync(join(dir, 'input.txt'), 'fine\npoison\n');
    writeFileSync(join(dir, 'fns.ts'), fnsCode);
    const job = {
      name,
      parallelism: 1,
      functions: 'fns.ts',
      restart: { strategy: 'fixed-delay', attempts: 5, delay: 100 },
      nodes: [
        { id: 'lines', type: 'source', connector: { kind: 'file', path: 'input.txt' } },
        { id: 'check', type: 'map', inputs: ['lines'], fn: 'check' },
        { id: 'out', type: 'sink', inputs: ['check'], connector: { kind: 'file', path: 'out' } },
      ],
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    return cluster.submit(join(dir, 'job.json'));
  }

  test('a user function that throws a NonRetriableError fails the job at once, restarts to spare', async () => {
    const jobId = await submitWithFunctions(
      'non-retriable',
      'class NonRetriableError extends Error { name = "NonRetriableError"; }\n' +
        'export function check(line: string): string {\n  if (line === "poison") throw new NonRetriableError(`bad record ${line}`);\n  return line;\n}\n',
    );
    const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.restarts).toBe(0);
    expect(failed.failure).toMatchObject({
      message: expect.stringMatching(/operator "check" threw: bad record poison/),
      nonRetriable: true,
    });
    expect(failed.exceptions).toHaveLength(1);
  });

  test('a job whose functions module fails to load cannot be deployed: FAILED at once with the cause', async () => {
    const jobId = await submitWithFunctions(
      'undeployable',
      'throw new Error("no config here");\nexport function check(l: string) { return l; }\n',
    );
    const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.restarts).toBe(0);
    expect(failed.failure.message).toMatch(/functions module failed to load: no config here/);
  });
});
