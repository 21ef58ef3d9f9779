/**
 * Savepoints and rescaling with real processes: a p=2 word count savepointed and stopped with a
 * savepoint mid-stream, resumed at p=4 and at p=1 from that savepoint (its job's checkpoints
 * deleted), checked against counts computed here and an exact changelog across the stop; uids
 * matching state to operators; savepoints refused with clear errors.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, paceModule, tempDir, waitFor } from './harness';
import { expectedCounts, pacedWordcountJob, writeText } from './wordcount';

jest.setTimeout(300_000);

const LINES = 150_000;
/** Milliseconds the stopped job's source blocks per line: 75 000 lines per subtask ≈ 15 s at least. */
const PACE_MS = 0.2;

/**
 * Every committed record of a file sink in commit order: by checkpoint id (the jobs restored from a
 * savepoint continue its ids), the final files last. With rescaling a word moves between subtasks,
 * so the order by subtask that test/wordcount.ts's helpers use does not hold across the resume.
 */
function committed(folder: string): { word: string; count: number }[] {
  const files = readdirSync(folder)
    .map((n) => /^part-(\d+)-(\d+|final)\.jsonl$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => ({ name: m[0], subtask: Number(m[1]), id: m[2] === 'final' ? Infinity : Number(m[2]) }))
    .sort((a, b) => a.id - b.id || a.subtask - b.subtask);
  return files.flatMap((f) =>
    readFileSync(join(folder, f.name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

/** Final counts and the words whose changelog is not 1, 2, ..., n. */
function check(folder: string): { counts: Map<string, number>; outOfStep: string[] } {
  const counts = new Map<string, number>();
  const outOfStep: string[] = [];
  for (const r of committed(folder)) {
    if (r.count !== (counts.get(r.word) ?? 0) + 1) outOfStep.push(`${r.word}: ${counts.get(r.word)} then ${r.count}`);
    counts.set(r.word, r.count);
  }
  return { counts, outOfStep };
}

describe('savepoints and rescaling', () => {
  let cluster: Cluster;
  let input: string;
  let expected: Map<string, number>;
  /** The output of the p=2 job up to its stop-with-savepoint, and that savepoint. */
  let stoppedOutput: string;
  let savepoint: string;
  const checkpointing = { interval: 200, mode: 'exactly-once' };
  /**
   * The word count with a map between source and tokenizer: `pace` blocks the source's slot
   * thread PACE_MS per line, so the stopped job is surely mid-stream when it is stopped on a short
   * input; the resumed jobs `pass` lines straight on (same uids, same state).
   */
  const pacedJob = (out: string, p: number, fn: 'pace' | 'pass', extra: Record<string, unknown> = {}) =>
    pacedWordcountJob(input, out, p, { checkpointing, ...extra }, fn);

  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
    input = join(tempDir(), 'input.txt');
    writeText(input, LINES, 7);
    expected = expectedCounts(readFileSync(input, 'utf8'));
  });
  afterAll(() => cluster.stop());

  const writeJob = (dir: string, spec: object) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
    writeFileSync(join(dir, 'pace.js'), paceModule(PACE_MS));
    return join(dir, 'job.json');
  };

  test('a p=2 word count: savepoint, then stop --savepoint mid-stream; the job ends FINISHED with what it committed', async () => {
    const dir = tempDir();
    stoppedOutput = join(dir, 'out');
    const jobId = await cluster.submit(writeJob(dir, pacedJob(stoppedOutput, 2, 'pace')));
    await waitFor(
      'a completed checkpoint',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.state === 'FINISHED') throw new Error('the job finished before the savepoint: make the input longer');
        return (await cluster.get(`/jobs/${jobId}/checkpoints`)).counts.completed > 0 || undefined;
      },
      60_000,
    );
    const first = cluster.cli(['savepoint', jobId]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toMatch(
      new RegExp(`^${cluster.dataDir}/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]+$`),
    );
    expect(readdirSync(first.stdout.trim())).toContain('_metadata');

    const stop = cluster.cli(['stop', jobId, '--savepoint', '--dir', join(dir, 'savepoints')]);
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    savepoint = stop.stdout.trim();
    expect(savepoint.startsWith(join(dir, 'savepoints', 'savepoint-'))).toBe(true);
    const job = await cluster.get(`/jobs/${jobId}`);
    expect(job.state).toBe('FINISHED');
    const metadata = JSON.parse(readFileSync(join(savepoint, '_metadata'), 'utf8'));
    expect(metadata).toMatchObject({ version: 1, jobId, maxParallelism: 128 });
    expect(metadata.tasks).toHaveLength(4);

    // Stopped mid-stream: some words counted, not all; everything committed is in step.
    const { counts, outOfStep } = check(stoppedOutput);
    expect(outOfStep.slice(0, 10)).toEqual([]);
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect(total(counts)).toBeGreaterThan(0);
    expect(total(counts)).toBeLessThan(total(expected));
    // The savepoint is self-contained: the job's checkpoints are not needed.
    rmSync(join(cluster.dataDir, 'checkpoints', jobId), { recursive: true, force: true });
  });

  test.each([4, 1])(
    'resumed at p=%i from the savepoint: exact final counts, each word counted 1..n across the stop',
    async (p) => {
      const dir = tempDir();
      const out = join(dir, 'out');
      cpSync(stoppedOutput, out, { recursive: true });
      const r = cluster.cli(['submit', writeJob(dir, pacedJob(out, p, 'pass')), '--from-savepoint', savepoint]);
      expect(r.stderr).toBe('');
      const jobId = r.stdout.trim();
      const done = await cluster.waitForState(jobId, ['FINISHED']);
      expect(done.vertices.map((v: any) => v.parallelism)).toEqual([p, p]);
      const { counts, outOfStep } = check(out);
      expect(outOfStep.slice(0, 10)).toEqual([]);
      expect(counts).toEqual(expected);
    },
  );

  test('state matches operators by uid: renamed with the old uid restores; state of a uid no operator has refuses unless --allow-non-restored-state', async () => {
    const withCounts = (out: string, counts: { id?: string; uid: string }) => {
      const spec = pacedJob(out, 2, 'pass');
      spec.nodes[3] = { ...spec.nodes[3], ...counts };
      spec.nodes[4] = { ...spec.nodes[4], inputs: [spec.nodes[3].id] };
      return spec;
    };
    const renamed = tempDir();
    cpSync(stoppedOutput, join(renamed, 'out'), { recursive: true });
    const ok = cluster.cli([
      'submit',
      writeJob(renamed, withCounts(join(renamed, 'out'), { id: 'totals', uid: 'counts' })),
      '-s',
      savepoint,
    ]);
    expect(ok.status).toBe(0);
    await cluster.waitForState(ok.stdout.trim(), ['FINISHED']);
    expect(check(join(renamed, 'out')).counts).toEqual(expected);

    const other = tempDir();
    const refused = cluster.cli([
      'submit',
      writeJob(other, withCounts(join(other, 'out'), { uid: 'counts-v2' })),
      '--from-savepoint',
      savepoint,
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/uid "counts"/);
    expect(refused.stderr).toMatch(/--allow-non-restored-state/);

    const allowed = cluster.cli([
      'submit',
      join(other, 'job.json'),
      '--from-savepoint',
      savepoint,
      '--allow-non-restored-state',
    ]);
    expect(allowed.stderr).toBe('');
    await cluster.waitForState(allowed.stdout.trim(), ['FINISHED']);
  });

  test('another maxParallelism, and a garbage, truncated or newer _metadata, are refused with a clear error; the cluster stays up', async () => {
    const dir = tempDir();
    const jobFile = writeJob(dir, pacedJob(join(dir, 'out'), 2, 'pass', { maxParallelism: 64 }));
    const r = cluster.cli(['submit', jobFile, '--from-savepoint', savepoint]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/maxParallelism 128 .* 64/);

    const good = readFileSync(join(savepoint, '_metadata'), 'utf8');
    const bad: [string, string, RegExp][] = [
      ['garbage', '\u0000\u00ff not json', /SNAPSHOT_FORMAT|not JSON/],
      ['truncated', good.slice(0, good.length / 2), /not JSON/],
      ['newer', JSON.stringify({ ...JSON.parse(good), version: 99 }), /version 99 \(this build reads version 1\)/],
      ['missing fields', JSON.stringify({ version: 1 }), /not valid/],
    ];
    const plainJob = writeJob(join(dir, 'plain'), pacedJob(join(dir, 'plain', 'out'), 2, 'pass'));
    for (const [name, text, message] of bad) {
      const sp = join(dir, name);
      mkdirSync(sp);
      writeFileSync(join(sp, '_metadata'), text);
      const res = cluster.cli(['submit', plainJob, '--from-savepoint', sp]);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(message);
    }
    const none = cluster.cli(['submit', plainJob, '--from-savepoint', join(dir, 'no-such-savepoint')]);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/cannot read savepoint/);
    expect((await cluster.get('/taskmanagers')).length).toBe(2);
  });
});
