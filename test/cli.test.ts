/**
 * The commands as a person uses them: the README's embedded run, and clear errors with a non-zero
 * exit and no stack trace for bad job files, unknown jobs and an unreachable JobManager.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, ROOT, freePort, tempDir } from './harness';
import { expectedCounts, sinkCounts } from './wordcount';

jest.setTimeout(120_000);

function flinkx(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), ...args], {
    encoding: 'utf8',
    timeout: 100_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

test('flinkx run on a copy of jobs/wordcount writes exact counts and says where', () => {
  const dir = tempDir();
  copyFileSync(join(ROOT, 'jobs/wordcount/job.json'), join(dir, 'job.json'));
  copyFileSync(join(ROOT, 'jobs/wordcount/input.txt'), join(dir, 'input.txt'));
  const r = flinkx(['run', join(dir, 'job.json')]);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(join(dir, 'out'));
  expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
});

test('flinkx run ships a TypeScript functions module and fails with the user error when it throws', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'input.txt'), 'a b\nc\n');
  writeFileSync(
    join(dir, 'fns.ts'),
    'export const shout = (line: string): string => line.toUpperCase();\nexport const boom = (): never => { throw new Error("kaboom"); };\n',
  );
  const job = (fn: string) => ({
    name: 'fns',
    functions: 'fns.ts',
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: 'input.txt' } },
      { id: 'f', type: 'map', inputs: ['lines'], fn },
      { id: 'out', type: 'sink', inputs: ['f'], connector: { kind: 'file', path: 'out' } },
    ],
  });
  writeFileSync(join(dir, 'ok.json'), JSON.stringify(job('shout')));
  expect(flinkx(['run', join(dir, 'ok.json')]).status).toBe(0);
  expect(readFileSync(join(dir, 'out', 'part-0.jsonl'), 'utf8')).toBe('"A B"\n"C"\n');

  writeFileSync(join(dir, 'bad.json'), JSON.stringify(job('boom')));
  const r = flinkx(['run', join(dir, 'bad.json')]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/operator "f" threw: kaboom/);
});

test('a job file whose keyBy names a field the records lack FAILS without a restart, naming the operator, the field and the record', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'payments.jsonl'), '{"accountId":"a1","amount":3}\n{"accountId":"a2","amount":4}\n');
  const job = (source: object, keyBy: string) => ({
    name: 'unkeyed',
    parallelism: 2,
    restart: { strategy: 'fixed-delay', attempts: 5, delay: 10 },
    nodes: [
      source,
      { id: 'payments', type: 'map', inputs: ['in'], fn: 'parseJson' },
      { id: 'counts', type: 'count', inputs: ['payments'], keyBy },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: 'out' } },
    ],
  });
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify(job({ id: 'in', type: 'source', connector: { kind: 'file', path: 'payments.jsonl' } }, 'acountId')),
  );
  const r = flinkx(['run', join(dir, 'job.json')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    /job FAILED: operator "counts": key field "acountId" is undefined for record \{"accountId":"a[12]","amount":\d\}; a key must not be null or undefined/,
  );
  expect(r.stderr).toMatch(/\nFAILED: \d+ records read, .*, restarts 0\n/);

  // Where the records' fields are known (the sequence generator's {seq}, here through a filter), before anything runs.
  const known = job(
    { id: 'in', type: 'source', connector: { kind: 'generator', format: 'sequence', count: 10 } },
    'sq',
  );
  known.nodes[1] = { id: 'payments', type: 'filter', inputs: ['in'], fn: 'identity' };
  writeFileSync(join(dir, 'known.json'), JSON.stringify(known));
  const refused = flinkx(['run', join(dir, 'known.json')]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(
    /nodes\[2\]\.keyBy: the records of "payments" have the fields "seq", not "sq" \(did you mean "seq"\?\)/,
  );
  expect(refused.stderr).not.toMatch(/running/);
  noStack(refused.stderr);
});

test('an invalid job file is refused with every problem named by its path', () => {
  const dir = tempDir();
  const file = join(dir, 'job.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'bad',
      parallelism: 2,
      nodes: [
        { id: 'lines', type: 'source', connector: { kind: 'file', path: 'x' } },
        { id: 'counts', type: 'sum', inputs: ['lnes'], field: 'count' },
      ],
    }),
  );
  for (const args of [
    ['run', file],
    ['submit', file, '--jobmanager', 'http://127.0.0.1:1'],
  ]) {
    const r = flinkx(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nodes: the job has no sink/);
    expect(r.stderr).toMatch(/nodes\[1\]\.inputs\[0\]: unknown node "lnes"/);
    expect(r.stderr).toMatch(/nodes\[1\]\.keyBy: required for type "sum"/);
    noStack(r.stderr);
  }
  writeFileSync(
    file,
    JSON.stringify({
      name: 'typo',
      parallelism: 0,
      nodes: [{ id: 'a', type: 'source', connector: { kind: 'generator' }, keyby: 'x' }],
    }),
  );
  const shape = flinkx(['run', file]);
  expect(shape.status).toBe(1);
  expect(shape.stderr).toMatch(/parallelism: /);
  expect(shape.stderr).toMatch(/nodes\[0\]\.keyby: unknown key \(did you mean "keyBy"\?\)/);
  writeFileSync(file, '{"name": "x",\n  "nodes": [}');
  const syntax = flinkx(['run', file]);
  expect(syntax.status).toBe(1);
  expect(syntax.stderr).toMatch(/invalid JSON at line 2/);
});

test('an unreachable JobManager gets a message naming the address, exit 1, no stack', async () => {
  const port = await freePort();
  for (const args of [['list'], ['status', 'abc'], ['cancel', 'abc']]) {
    const r = flinkx(args, { FLINKX_JOBMANAGER: `http://127.0.0.1:${port}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot reach the JobManager at http://127.0.0.1:${port}`));
    noStack(r.stderr);
  }
});

test('flinkx-jm and flinkx-tm refuse options that cannot work, naming the flag, exit 1, no stack', () => {
  const run = (bin: string, args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'bin', `${bin}.js`), 'start', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  const jm = run('flinkx-jm', ['--heartbeat-interval', '2000', '--heartbeat-timeout', '1500', '--data-dir', tempDir()]);
  expect(jm.status).toBe(1);
  expect(jm.stderr).toMatch(/--heartbeat-timeout: 1500 ms is not longer than the heartbeat interval \(2000 ms\)/);
  noStack(jm.stderr);
  const tm = run('flinkx-tm', ['--slots', 'many']);
  expect(tm.status).toBe(1);
  expect(tm.stderr).toMatch(/--slots: must be a number/);
  noStack(tm.stderr);
});

describe('against a JobManager', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2]);
  });
  afterAll(() => cluster.stop());

  test('unknown job ids are named', () => {
    for (const args of [
      ['status', 'nope'],
      ['cancel', 'nope'],
    ]) {
      const r = cluster.cli(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/no job with id nope/);
      noStack(r.stderr);
    }
  });

  test('submit --wait exits non-zero when the job fails, and list/status show it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fns.js'), 'exports.boom = () => { throw new Error("nope"); };\n');
    writeFileSync(join(dir, 'input.txt'), 'x\n');
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({
        name: 'doomed',
        functions: 'fns.js',
        nodes: [
          { id: 'lines', type: 'source', connector: { kind: 'file', path: 'input.txt' } },
          { id: 'f', type: 'map', inputs: ['lines'], fn: 'boom' },
          { id: 'out', type: 'sink', inputs: ['f'], connector: { kind: 'stdout' } },
        ],
      }),
    );
    const r = cluster.cli(['submit', join(dir, 'job.json'), '--wait']);
    expect(r.status).toBe(1);
    const jobId = r.stdout.trim();
    expect(r.stderr).toMatch(/FAILED/);
    expect(cluster.cli(['list']).stdout).toMatch(new RegExp(`${jobId}\\s+doomed\\s+FAILED`));
    const status = JSON.parse(cluster.cli(['status', jobId, '--json']).stdout);
    expect(status.failure.message).toMatch(/operator "f" threw: nope/);
  });
});
