/**
 * TaskManager-to-TaskManager data connections cut mid-job while both TMs stay up (`ss -K`, as an
 * operator or a flaky network would): the batches and credits in flight on a cut connection are
 * gone, so the tasks that used it must fail and recover from a checkpoint, and the exactly-once
 * output must still count every word once. Bytes on a data connection that are not a batch
 * (common/protocol/batch.ts) fail the task they were sent to, and that task only: the job restarts,
 * the slot worker and its TaskManager stay up. The word counts' sources are paced (test/harness.ts's
 * paceModule) until the last cut or bad batch, so a short input keeps each job mid-stream until then.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { channelId } from '../common/plan';
import { BATCH_VERSION } from '../common/protocol/batch';
import { encode, encodeFrame } from '../common/protocol/codec';
import { Cluster, tempDir, waitFor, writePacedJob } from './harness';
import { changelogOutOfStep, expectedCounts, pacedWordcountJob, sinkCounts, writeText } from './wordcount';

jest.setTimeout(300_000);

/** Milliseconds each source subtask blocks per line until released. */
const PACE_MS = 1;

/**
 * Kill every TCP connection to or from one of `ports` in one `ss -K` (needs root), so that no
 * connection a restart opens meanwhile is cut too; how many died.
 */
function cutConnections(ports: number[]): number {
  const filter = ports.flatMap((p) => ['dport', '=', `:${p}`, 'or', 'sport', '=', `:${p}`, 'or']).slice(0, -1);
  const out = execFileSync('ss', ['-K', '-t', '-n', 'dst', '127.0.0.1', 'and', '(', ...filter, ')'], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => /127\.0\.0\.1/.test(l)).length;
}

describe('a cut data connection between TaskManagers', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
  });
  afterAll(() => cluster.stop());

  test('fails the tasks that used it; after three cuts the exactly-once output is exact', async () => {
    const tms = await cluster.get<{ dataAddress: string }[]>('/taskmanagers');
    const dataPorts = tms.map((t) => Number(new URL(t.dataAddress).port));
    const dir = tempDir();
    const input = join(dir, 'input.txt');
    // 25 000 lines per source subtask: ≈ 25 s of pacing at least, for three cuts and restarts.
    writeText(input, 100_000, 7);
    const expected = expectedCounts(readFileSync(input, 'utf8'));
    const spec = pacedWordcountJob(input, join(dir, 'out'), 4, {
      checkpointing: { interval: 200, mode: 'exactly-once' },
      restart: { attempts: 10, delay: 200 },
    });
    const { jobFile, release } = writePacedJob(dir, spec, PACE_MS);

    const jobId = await cluster.submit(jobFile);
    for (let cut = 0; cut < 3; cut++) {
      // Cut only once the current attempt has completed a checkpoint, so each cut is its own restart.
      const before: number = await waitFor(
        `cut ${cut + 1}: an attempt running with a completed checkpoint`,
        async () => {
          const j = await cluster.get(`/jobs/${jobId}`);
          if (j.state === 'FINISHED' || j.state === 'FAILED')
            throw new Error(`job is ${j.state} after ${j.restarts} restarts`);
          if (j.state !== 'RUNNING') return undefined;
          const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
          return cps.history.some((c: any) => c.status === 'COMPLETED' && c.attempt === j.attempt)
            ? j.restarts
            : undefined;
        },
        120_000,
        cluster.logs,
      );
      expect(cutConnections(dataPorts)).toBeGreaterThan(0);
      await waitFor(
        `a restart after cut ${cut + 1}`,
        async () => {
          const j = await cluster.get(`/jobs/${jobId}`);
          if (j.restarts > before) return true;
          if (j.state === 'FINISHED' || j.state === 'FAILED')
            throw new Error(`job ended ${j.state} without failing after the cut`);
        },
        60_000,
        cluster.logs,
      );
    }
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED']);
    expect(done.restarts).toBeGreaterThanOrEqual(3);
    expect(done.failure ?? null).toBeNull();
    const exceptions = await cluster.get<{ message: string }[]>(`/jobs/${jobId}/exceptions`);
    expect(exceptions.map((e) => e.message).join('\n')).toMatch(/data connection with TaskManager tm-\S+ .* was lost/);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected);
    expect(changelogOutOfStep(join(dir, 'out')).slice(0, 10)).toEqual([]);
    // Both TaskManagers stayed up throughout.
    expect(cluster.taskManagers.map((p) => p.alive)).toEqual([true, true]);
  });
});

describe('bytes on a data connection that are not a batch', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
  });
  afterAll(() => cluster.stop());

  test('a malformed batch fails its consuming task with BATCH_FORMAT; the job restarts and its output is exact', async () => {
    const tms = await cluster.get<{ dataAddress: string }[]>('/taskmanagers');
    const dir = tempDir();
    const input = join(dir, 'input.txt');
    // 15 000 lines per source subtask: ≈ 15 s of pacing at least, until the job has restarted.
    writeText(input, 60_000, 11);
    const spec = pacedWordcountJob(input, join(dir, 'out'), 4, {
      checkpointing: { interval: 200, mode: 'exactly-once' },
      restart: { attempts: 5, delay: 200 },
    });
    const { jobFile, release } = writePacedJob(dir, spec, PACE_MS);
    const jobId = await cluster.submit(jobFile);
    const running = await waitFor(
      'the job running with a completed checkpoint',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.state === 'FINISHED' || j.state === 'FAILED')
          throw new Error(`job is ${j.state} before any batch was sent`);
        if (j.state !== 'RUNNING') return undefined;
        const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
        return cps.history.some((c: any) => c.status === 'COMPLETED' && c.attempt === j.attempt) ? j : undefined;
      },
      120_000,
      cluster.logs,
    );

    // A stranger dials every data port and sends, for every channel of the shuffle into `counts`,
    // bytes a real producer never would: garbage, another version, a batch with a bad marker.
    const payloads = [
      Buffer.from([0xc1, 0xff, 0x00]),
      encode({ v: BATCH_VERSION + 1, r: [] }),
      encode({ v: BATCH_VERSION, r: [], m: { kind: 'barrier' } }),
    ];
    for (const tm of tms) {
      const ws = new WebSocket(tm.dataAddress);
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve()); // the challenge: no secret here, so hello needs no proof
        ws.once('error', reject);
      });
      ws.send(encodeFrame({ t: 'hello', tmId: 'stranger' }));
      let i = 0;
      for (let from = 0; from < 4; from++)
        for (let to = 0; to < 4; to++)
          for (const slot of [0, 1]) {
            const ch = channelId(jobId, running.attempt, 'words->counts', from, to);
            ws.send(
              encodeFrame({ t: 'data', ch, slot, payload: payloads[i++ % payloads.length] as Uint8Array<ArrayBuffer> }),
            );
          }
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000);
      });
    }

    await waitFor(
      'a restart after the malformed batches',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.restarts > running.restarts) return true;
        if (j.state === 'FINISHED' || j.state === 'FAILED') throw new Error(`job ended ${j.state} without a failure`);
      },
      60_000,
      cluster.logs,
    );
    release();
    const done = await cluster.waitForState(jobId, ['FINISHED']);
    expect(done.failure ?? null).toBeNull();
    const exceptions = await cluster.get<{ attempt: number; task?: string; message: string; code?: string }[]>(
      `/jobs/${jobId}/exceptions`,
    );
    const first = exceptions.find((e) => e.attempt === running.attempt);
    expect(first).toMatchObject({ code: 'BATCH_FORMAT', task: expect.stringMatching(/^counts\[[0-3]\]$/) });
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(input, 'utf8')));
    expect(changelogOutOfStep(join(dir, 'out')).slice(0, 10)).toEqual([]);
    expect(
      cluster.taskManagers.map((p) => ({ alive: p.alive, crashed: /slot worker crashed/.test(p.output) })),
    ).toEqual([
      { alive: true, crashed: false },
      { alive: true, crashed: false },
    ]);
  });
});
