/**
 * Record types flow through the API: tsc rejects jobs/wordcount-ts and the README's word count when
 * the key or summed field names a field the records lack, and accepts them as written. tsc runs on copies, with `flinkx` mapped to
 * this source tree so no build is needed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const JOB = join(ROOT, 'jobs', 'wordcount-ts');

/** The README's TypeScript word count: the first ts block after its heading. */
function readmeWordCount(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A job in TypeScript'));
  return /```ts\n([\s\S]*?)```/.exec(section)![1];
}

function typecheck(edit: (source: string) => string, source = readFileSync(join(JOB, 'job.ts'), 'utf8')): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-tsc-'));
  copyFileSync(join(JOB, 'functions.ts'), join(dir, 'functions.ts'));
  writeFileSync(join(dir, 'job.ts'), edit(source));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
        paths: { flinkx: [join(ROOT, 'common', 'datastream', 'index.ts')] },
      },
      files: ['job.ts'],
    }),
  );
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

test('jobs/wordcount-ts type-checks as written', () => {
  const r = typecheck((s) => s);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

test("keyBy('wrod') on a stream of {word, count} does not compile", () => {
  const r = typecheck((s) => s.replace("keyBy('word')", "keyBy('wrod')"));
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/job\.ts\(\d+,\d+\): error TS\d+/);
  expect(r.output).toMatch(/Argument of type '"wrod"' is not assignable to parameter of type 'keyof WordCount'/);
});

test('sum of a field that is not a number does not compile', () => {
  const r = typecheck((s) => s.replace(".sum('count')", ".sum('word')"));
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/Argument of type '"word"' is not assignable to parameter of type '"count"'/);
});

test("the README's word count type-checks, and not with keyBy('wrod')", () => {
  expect(typecheck((s) => s, readmeWordCount())).toEqual({ status: 0, output: '' });
  const r = typecheck((s) => s.replace(".keyBy('word')", ".keyBy('wrod')"), readmeWordCount());
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/Argument of type '"wrod"' is not assignable to parameter of type '"count" \| "word"'/);
});

/** A windowed sum whose result record is read by its typed fields. */
const WINDOWED_SUM = `
import { FileSink, StreamExecutionEnvironment, TumblingEventTimeWindows } from 'flinkx';
interface Sale { shop: string; amount: number; ts: number }
const env = StreamExecutionEnvironment.getExecutionEnvironment();
const sums = env.readTextFile('sales.jsonl')
  .map((line): Sale => JSON.parse(line))
  .assignTimestampsAndWatermarks({ field: 'ts', maxOutOfOrderness: '5s' })
  .keyBy('shop')
  .window(TumblingEventTimeWindows.of('1m'))
  .sum('amount');
sums.map((r) => ({ shop: r.shop, from: r.windowStart, to: r.windowEnd, total: r.sum })).sinkTo(FileSink.jsonLines('out'));
env.execute('sales');
`;

test('a window sum over a misspelled field, or reading a field the result lacks, does not compile', () => {
  expect(typecheck((s) => s, WINDOWED_SUM)).toEqual({ status: 0, output: '' });
  const misspelled = typecheck((s) => s.replace(".sum('amount')", ".sum('amonut')"), WINDOWED_SUM);
  expect(misspelled.status).not.toBe(0);
  expect(misspelled.output).toMatch(/Argument of type '"amonut"' is not assignable to parameter of type '"amount" \| "ts"'/);
  const wrongResult = typecheck((s) => s.replace('total: r.sum', 'total: r.count'), WINDOWED_SUM);
  expect(wrongResult.output).toMatch(/Property 'count' does not exist on type/);
  const wrongTime = typecheck((s) => s.replace("field: 'ts'", "field: 'tss'"), WINDOWED_SUM);
  expect(wrongTime.output).toMatch(/Type '"tss"' is not assignable to type '"shop" \| "amount" \| "ts"'/);
});

test("the README's windowed job type-checks, and not with a timestamp field the records lack", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Event time, windows and process functions in the API')))![1];
  expect(typecheck((s) => s, code)).toEqual({ status: 0, output: '' });
  const r = typecheck((s) => s.replace("field: 'ts'", "field: 'tss'"), code);
  expect(r.output).toMatch(/Type '"tss"' is not assignable to type '"word" \| "ts"'/);
});
