/**
 * DataStream job modules through the CLI: `flinkx run job.ts` embedded and `flinkx submit job.ts` to a
 * cluster of two TaskManagers (so the shipped bundle's closures are found on both), with counts
 * checked against an independent count; bad modules get named errors, exit 1 and no stack.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, ROOT, tempDir } from './harness';
import { expectedCounts, sinkCounts, writeText } from './wordcount';

jest.setTimeout(180_000);

function flinkx(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), ...args], {
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of jobs/wordcount-ts (no node_modules beside it) with other input text. */
function wordcountTs(lines: number, seed: number): string {
  const dir = tempDir();
  for (const f of ['job.ts', 'functions.ts']) copyFileSync(join(ROOT, 'jobs/wordcount-ts', f), join(dir, f));
  writeText(join(dir, 'input.txt'), lines, seed);
  return dir;
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);
const expected = (dir: string) => expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8'));

test('flinkx run jobs/wordcount-ts/job.ts on other input writes exact counts beside the file', () => {
  const dir = wordcountTs(3000, 7);
  const r = flinkx(['run', join(dir, 'job.ts')]);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(join(dir, 'out'));
  expect(sinkCounts(join(dir, 'out'))).toEqual(expected(dir));
});

test('flinkx plan: the job modules and job files of the word counts compile to the same graphs', () => {
  const plan = (file: string) => {
    const r = flinkx(['plan', join(ROOT, file), '--json'], { KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(r.status).toBe(0);
    return JSON.parse(
      r.stdout.replace(/jobs\/wordcount(-ts)?\//g, 'jobs/WC/').replace(/"fn": "words"/, '"fn": "tokenize"'),
    );
  };
  const ts = plan('jobs/wordcount-ts/job.ts');
  expect(ts).toEqual(plan('jobs/wordcount/job.json'));
  expect(ts.edges).toEqual([
    expect.objectContaining({ source: 'lines', target: 'counts', partitioner: 'hash', keyBy: 'word' }),
  ]);
  expect(plan('jobs/kafka-wordcount/job.ts')).toEqual(plan('jobs/kafka-wordcount/job.json'));
  const mermaid = flinkx(['plan', join(ROOT, 'jobs/wordcount-ts/job.ts'), '--format', 'mermaid']);
  expect(mermaid.stdout).toMatch(/^flowchart LR\n {2}v0\["lines: source<br\/>words: flatMap<br\/>parallelism 2"\]/);
});

test("the README's TypeScript word count, copied beside an input.txt, runs and writes exact counts", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## A job in TypeScript')))![1];
  const dir = tempDir();
  writeFileSync(join(dir, 'job.ts'), code);
  writeText(join(dir, 'input.txt'), 1000, 2);
  const r = flinkx(['run', join(dir, 'job.ts')]);
  expect(r.status).toBe(0);
  expect(sinkCounts(join(dir, 'out'))).toEqual(expected(dir));
});

describe('bad job modules are refused with the reason, exit 1, no stack', () => {
  const cases: [string, string, RegExp][] = [
    ['syntax', 'const x = ;', /cannot bundle it: .*job\.ts:1/s],
    ['throws', 'throw new Error("no config");', /it threw while building the job: no config/],
    [
      'no execute',
      'import { StreamExecutionEnvironment } from "flinkx";\nStreamExecutionEnvironment.getExecutionEnvironment();',
      /never called env\.execute\(name\)/,
    ],
    [
      'invalid job',
      'import { StreamExecutionEnvironment } from "flinkx";\nconst env = StreamExecutionEnvironment.getExecutionEnvironment();\n' +
        'env.readTextFile("in").uid("x").map((l) => l).uid("x").print();\nenv.execute("dup");',
      /nodes\[1\] \(map "x"\)\.id: duplicate id "x"/,
    ],
    [
      'keyed lines',
      'import { StreamExecutionEnvironment } from "flinkx";\nconst env = StreamExecutionEnvironment.getExecutionEnvironment();\n' +
        'env.readTextFile("in").keyBy("word" as never).count().print();\nenv.execute("lines");',
      /nodes\[1\] \(count "count"\)\.keyBy: the records of "source" \(a file source\) are strings, which have no field "word"/,
    ],
  ];
  test.each(cases)('%s', (_, code, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'job.ts'), code);
    const r = flinkx(['run', join(dir, 'job.ts')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});

describe('a key that is not there: the job fails at once, or the type check stops it before it runs', () => {
  /** Payments summed per account, keyed by `key` (a field name in quotes, or a selector), with restarts allowed. */
  const paymentsJob = (key: string) => `import { FileSink, StreamExecutionEnvironment } from 'flinkx';
interface Payment { accountId: string; amount: number }
const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2)
  .setRestartStrategy({ strategy: 'fixed-delay', attempts: 5, delay: 10 });
env.readTextFile('payments.jsonl').map((line): Payment => JSON.parse(line))
  .keyBy(${key})
  .sum('amount').uid('sums')
  .sinkTo(FileSink.jsonLines('out'));
env.execute('payments');
`;
  const PAYMENTS = [
    { accountId: 'a1', amount: 3 },
    { accountId: 'a2', amount: 4 },
    { accountId: 'a1', amount: 5 },
  ];
  /** A folder with the job (in job/) and its input; `tsconfig`: a tsconfig.json in the folder above the job's. */
  const project = (key: string, tsconfig: boolean) => {
    const root = tempDir();
    const dir = join(root, 'job');
    mkdirSync(dir);
    writeFileSync(join(dir, 'job.ts'), paymentsJob(key));
    writeFileSync(join(dir, 'payments.jsonl'), PAYMENTS.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const options = {
      strict: true,
      target: 'ES2022',
      module: 'preserve',
      moduleResolution: 'bundler',
      skipLibCheck: true,
      noEmit: true,
    };
    if (tsconfig) writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: options }));
    return dir;
  };
  const failedAtOnce = (stderr: string) => expect(stderr).toMatch(/\nFAILED: \d+ records read, .*, restarts 0\n/);

  test("keyBy('acountId') with --no-typecheck: FAILED without a restart, naming the operator, the field and the record", () => {
    const dir = project("'acountId'", true);
    const r = flinkx(['run', join(dir, 'job.ts'), '--no-typecheck']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /job FAILED: operator "sums": key field "acountId" is undefined for record \{"accountId":"a[12]","amount":\d\}; a key must not be null or undefined/,
    );
    failedAtOnce(r.stderr);
  });

  test('a key selector returning undefined, no tsconfig: FAILED without a restart, naming the selector and the record', () => {
    const dir = project('(p) => p.acountId', false);
    const r = flinkx(['run', join(dir, 'job.ts')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /job FAILED: operator "sums-key" threw: key selector \(p\) => p\.acountId returned undefined for record \{"accountId":"a[12]","amount":\d\}/,
    );
    failedAtOnce(r.stderr);
  });

  test("with a tsconfig.json above it, keyBy('acountId') is a type error at its line and column, and nothing runs", () => {
    const dir = project("'acountId'", true);
    const r = flinkx(['run', join(dir, 'job.ts')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not type-check with .*tsconfig\.json \(--no-typecheck runs it anyway\)/);
    expect(r.stderr).toMatch(/job\/job\.ts:6:10 error TS2769: No overload matches this call/);
    expect(r.stderr).toMatch(/Argument of type '"acountId"' is not assignable to parameter of type 'keyof Payment'/);
    expect(r.stderr).not.toMatch(/running|RUNNING/);
    noStack(r.stderr);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const submitted = flinkx(['submit', join(dir, 'job.ts'), '--jobmanager', 'http://127.0.0.1:1']);
    expect(submitted.stderr).toMatch(/job\/job\.ts:6:10 error TS2769/);
    expect(submitted.status).toBe(1);
  });

  test("with a tsconfig.json, keyBy('accountId') type-checks and runs to exact sums", () => {
    const dir = project("'accountId'", true);
    const r = flinkx(['run', join(dir, 'job.ts')]);
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.status).toBe(0);
    const last = new Map<string, number>();
    for (const f of readdirSync(join(dir, 'out')).filter((n) => n.endsWith('.jsonl'))) {
      for (const line of readFileSync(join(dir, 'out', f), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        const p = JSON.parse(line) as { accountId: string; amount: number };
        last.set(p.accountId, p.amount);
      }
    }
    expect(last).toEqual(
      new Map([
        ['a1', 8],
        ['a2', 4],
      ]),
    );
  });
});

describe('flinkx submit job.ts to a cluster of two TaskManagers', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([1, 1]);
  });
  afterAll(() => cluster.stop());

  test('the word count module gives exact counts', async () => {
    const dir = wordcountTs(2000, 3);
    const r = cluster.cli(['submit', join(dir, 'job.ts'), '--wait']);
    expect(r.status).toBe(0);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected(dir));
  });

  test('generator, process, filter and a keyed reduce with per-operator parallelism give exact sums', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'job.ts'),
      `import { FileSink, GeneratorSource, StreamExecutionEnvironment } from 'flinkx';
       const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
       env.fromSource(GeneratorSource.sequence({ count: 5000 })).setParallelism(1)
         .process<{ k: number; v: number }>(({ seq }, out) => { if (seq % 2 === 0) out.collect({ k: seq % 7, v: seq }); })
         .filter((r) => r.k !== 3)
         .keyBy('k').reduce((a, b) => ({ k: a.k, v: a.v + b.v })).uid('sums')
         .sinkTo(FileSink.jsonLines('out')).setParallelism(1);
       env.execute('sums');\n`,
    );
    const r = cluster.cli(['submit', join(dir, 'job.ts'), '--wait']);
    expect(r.status).toBe(0);
    const expectedSums = new Map<number, number>();
    for (let seq = 0; seq < 5000; seq += 2)
      if (seq % 7 !== 3) expectedSums.set(seq % 7, (expectedSums.get(seq % 7) ?? 0) + seq);
    const last = new Map<number, number>();
    for (const line of readFileSync(join(dir, 'out', 'part-0.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)) {
      const rec = JSON.parse(line) as { k: number; v: number };
      last.set(rec.k, rec.v);
    }
    expect(last).toEqual(expectedSums);
  });

  test('a key selector and count across the shuffle give {key, count}', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 1500, 11);
    copyFileSync(join(ROOT, 'jobs/wordcount-ts/functions.ts'), join(dir, 'functions.ts'));
    writeFileSync(
      join(dir, 'job.ts'),
      `import { FileSink, StreamExecutionEnvironment } from 'flinkx';
       import { tokenize } from './functions';
       const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
       env.readTextFile('input.txt').flatMap(tokenize).keyBy((w) => w.word).count().name('Count words').sinkTo(FileSink.jsonLines('out'));
       env.execute('selected');\n`,
    );
    const r = cluster.cli(['submit', join(dir, 'job.ts'), '--wait']);
    expect(r.status).toBe(0);
    const counts = new Map<string, number>();
    for (const f of readdirSync(join(dir, 'out')).sort()) {
      for (const line of readFileSync(join(dir, 'out', f), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        const rec = JSON.parse(line) as Record<string, unknown>;
        expect(Object.keys(rec).sort()).toEqual(['count', 'key']);
        counts.set(rec.key as string, rec.count as number);
      }
    }
    expect(counts).toEqual(expected(dir));
  });
});

describe("the TS twins of the event-time examples give the job files' results", () => {
  /** Every record of a file sink folder's part files, as sorted JSON. */
  const rows = (folder: string) =>
    readdirSync(folder)
      .filter((n) => /^part-.*\.jsonl$/.test(n))
      .sort()
      .flatMap((n) => readFileSync(join(folder, n), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.stringify(JSON.parse(l)))
      .sort();
  /** `flinkx run` of `file` in a copy of the example's folder; the folder. */
  const run = (name: string, file: string) => {
    const dir = tempDir();
    for (const f of readdirSync(join(ROOT, 'jobs', name)).filter((f) => f !== 'out'))
      copyFileSync(join(ROOT, 'jobs', name, f), join(dir, f));
    const r = flinkx(['run', join(dir, file)]);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    return dir;
  };

  test('jobs/windowed-wordcount: job.ts writes the counts per 30 s window of job.json, and the same late records', () => {
    const [ts, json] = [run('windowed-wordcount', 'job.ts'), run('windowed-wordcount', 'job.json')];
    const counts = new Map<string, number>();
    for (const line of readFileSync(join(ts, 'events.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const { word, ts: t } = JSON.parse(line) as { word: string; ts: number };
      const start = Math.floor(t / 30_000) * 30_000;
      const k = JSON.stringify({ word, windowStart: start, windowEnd: start + 30_000 });
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const expected = [...counts].map(([k, count]) => JSON.stringify({ ...JSON.parse(k), count })).sort();
    expect(rows(join(ts, 'out'))).toEqual(expected);
    expect(rows(join(ts, 'out'))).toEqual(rows(join(json, 'out')));
    expect(rows(join(ts, 'out', 'late'))).toEqual(rows(join(json, 'out', 'late')));
  });

  test('jobs/quiet-sensors: job.ts raises the alerts of job.json', () => {
    const [ts, json] = [run('quiet-sensors', 'job.ts'), run('quiet-sensors', 'job.json')];
    expect(rows(join(ts, 'out')).length).toBeGreaterThan(0);
    expect(rows(join(ts, 'out'))).toEqual(rows(join(json, 'out')));
  });
});
