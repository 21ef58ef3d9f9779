/**
 * Record types flow through the API: tsc rejects jobs/wordcount-ts and the README's word count when
 * the key or summed field names a field the records lack, and accepts them as written. Every case is
 * a copy in a folder of its own, with `flinkx` mapped to this source tree so no build is needed; all
 * of them are checked by one TypeScript program (the compiler API, the options `tsc -p` would use),
 * so the API's source is parsed and checked once rather than once per case. A case's result is what
 * `tsc -p` on its folder alone would report: the errors in its own files and in the shared ones.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const JOB = join(ROOT, 'jobs', 'wordcount-ts');

/** The README's TypeScript word count: the first ts block after its heading. */
function readmeWordCount(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A job in TypeScript'));
  return /```ts\n([\s\S]*?)```/.exec(section)![1];
}

/** The README's windowed job: the first ts block of its section on event time. */
function readmeWindowed(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return /```ts\n([\s\S]*?)```/.exec(
    readme.slice(readme.indexOf('### Event time, windows and process functions in the API')),
  )![1];
}

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

/** `source` with `from` replaced by `to`, failing if it has no `from` (a case that silently checks the original). */
function edited(source: string, from: string, to: string): string {
  if (!source.includes(from)) throw new Error(`the source has no ${from}`);
  return source.replace(from, to);
}

const jobTs = readFileSync(join(JOB, 'job.ts'), 'utf8');
const readme = readmeWordCount();
const readmeWindowedJob = readmeWindowed();
/** Every job.ts checked, by name. */
const CASES: Record<string, string> = {
  job: jobTs,
  jobWrod: edited(jobTs, "keyBy('word')", "keyBy('wrod')"),
  jobSumWord: edited(jobTs, ".sum('count')", ".sum('word')"),
  readme,
  readmeWrod: edited(readme, ".keyBy('word')", ".keyBy('wrod')"),
  windowed: WINDOWED_SUM,
  windowedMisspelled: edited(WINDOWED_SUM, ".sum('amount')", ".sum('amonut')"),
  windowedWrongResult: edited(WINDOWED_SUM, 'total: r.sum', 'total: r.count'),
  windowedWrongTime: edited(WINDOWED_SUM, "field: 'ts'", "field: 'tss'"),
  readmeWindowed: readmeWindowedJob,
  readmeWindowedWrongTime: edited(readmeWindowedJob, "field: 'ts'", "field: 'tss'"),
};

/** What `tsc -p <case folder>` reports, per case: exit status 0 or 2 (errors), and its output. */
function typecheckAll(cases: Record<string, string>): Map<string, { status: number; output: string }> {
  const base = mkdtempSync(join(tmpdir(), 'flinkx-tsc-'));
  const dirs = new Map<string, string>();
  for (const [name, source] of Object.entries(cases)) {
    const dir = join(base, name);
    mkdirSync(dir);
    copyFileSync(join(JOB, 'functions.ts'), join(dir, 'functions.ts'));
    writeFileSync(join(dir, 'job.ts'), source);
    dirs.set(name, dir);
  }
  // The tsconfig.json each case had as a file, read the way tsc -p reads it.
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: 'preserve',
      moduleResolution: 'bundler',
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      paths: { flinkx: [join(ROOT, 'common', 'datastream', 'index.ts')] },
    },
    files: [...dirs.values()].map((d) => join(d, 'job.ts')),
  };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, base);
  expect(parsed.errors).toEqual([]);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diagnosticsOf = (sf?: ts.SourceFile) => [
    ...program.getSyntacticDiagnostics(sf),
    ...program.getSemanticDiagnostics(sf),
  ];
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  const inCase = new Map<string, ts.Diagnostic[]>([...dirs.keys()].map((n) => [n, []]));
  const shared: ts.Diagnostic[] = [];
  for (const sf of program.getSourceFiles()) {
    const diags = diagnosticsOf(sf);
    if (diags.length === 0) continue;
    const owner = [...dirs].find(([, d]) => sf.fileName.startsWith(d + '/'));
    (owner ? inCase.get(owner[0])! : shared).push(...diags);
  }
  const results = new Map<string, { status: number; output: string }>();
  for (const [name, dir] of dirs) {
    const diags = [...global, ...shared, ...inCase.get(name)!].filter(
      (d) => d.category === ts.DiagnosticCategory.Error,
    );
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => dir,
      getNewLine: () => '\n',
    };
    results.set(name, { status: diags.length === 0 ? 0 : 2, output: ts.formatDiagnostics(diags, host) });
  }
  return results;
}

let results: Map<string, { status: number; output: string }>;
beforeAll(() => {
  results = typecheckAll(CASES);
});
const typecheck = (name: keyof typeof CASES) => results.get(name)!;

test('jobs/wordcount-ts type-checks as written', () => {
  const r = typecheck('job');
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

test("keyBy('wrod') on a stream of {word, count} does not compile", () => {
  const r = typecheck('jobWrod');
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/job\.ts\(\d+,\d+\): error TS\d+/);
  expect(r.output).toMatch(/Argument of type '"wrod"' is not assignable to parameter of type 'keyof WordCount'/);
});

test('sum of a field that is not a number does not compile', () => {
  const r = typecheck('jobSumWord');
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/Argument of type '"word"' is not assignable to parameter of type '"count"'/);
});

test("the README's word count type-checks, and not with keyBy('wrod')", () => {
  expect(typecheck('readme')).toEqual({ status: 0, output: '' });
  const r = typecheck('readmeWrod');
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/Argument of type '"wrod"' is not assignable to parameter of type '"count" \| "word"'/);
});

test('a window sum over a misspelled field, or reading a field the result lacks, does not compile', () => {
  expect(typecheck('windowed')).toEqual({ status: 0, output: '' });
  const misspelled = typecheck('windowedMisspelled');
  expect(misspelled.status).not.toBe(0);
  expect(misspelled.output).toMatch(
    /Argument of type '"amonut"' is not assignable to parameter of type '"amount" \| "ts"'/,
  );
  const wrongResult = typecheck('windowedWrongResult');
  expect(wrongResult.output).toMatch(/Property 'count' does not exist on type/);
  const wrongTime = typecheck('windowedWrongTime');
  expect(wrongTime.output).toMatch(/Type '"tss"' is not assignable to type '"shop" \| "amount" \| "ts"'/);
});

test("the README's windowed job type-checks, and not with a timestamp field the records lack", () => {
  expect(typecheck('readmeWindowed')).toEqual({ status: 0, output: '' });
  const r = typecheck('readmeWindowedWrongTime');
  expect(r.output).toMatch(/Type '"tss"' is not assignable to type '"word" \| "ts"'/);
});
