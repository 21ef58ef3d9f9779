import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTsconfig, typecheckJobModule } from './typecheck';

jest.setTimeout(60_000);

const JOB = `import { StreamExecutionEnvironment } from 'flinkx';
interface Payment { accountId: string; amount: number }
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.readTextFile('in').map((l): Payment => JSON.parse(l)).keyBy('acountId').sum('amount').print();
env.execute('payments');
`;

/** A folder with job.ts in sub/ and, if given, a tsconfig.json above it. */
function project(tsconfig?: object): string {
  const root = mkdtempSync(join(tmpdir(), 'flinkx-typecheck-'));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'job.ts'), JOB);
  if (tsconfig) writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(tsconfig));
  return join(root, 'sub', 'job.ts');
}

const warnings: string[] = [];
const warn = (m: string) => warnings.push(m);
beforeEach(() => (warnings.length = 0));

test('without a tsconfig.json beside or above the module, nothing is checked', () => {
  const job = project();
  expect(findTsconfig(job)).toBeUndefined();
  expect(() => typecheckJobModule(job, warn)).not.toThrow();
  expect(warnings).toEqual([]);
});

test("a tsconfig.json above that includes other files still checks the module, and its error is at the module's line and column", () => {
  const job = project({
    compilerOptions: { strict: true, module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true },
    include: ['src'],
  });
  expect(findTsconfig(job)).toBe(join(job, '..', '..', 'tsconfig.json'));
  expect(() => typecheckJobModule(job, warn)).toThrow(
    expect.objectContaining({
      code: 'TYPECHECK_FAILED',
      message: expect.stringMatching(
        /^job module .*\n\/.*\/sub\/job\.ts:4:65 error TS2769: No overload matches this call\.[\s\S]*'"acountId"' is not assignable to parameter of type 'keyof Payment'/,
      ),
    }),
  );
  expect(warnings).toEqual([]);
});

test('with no TypeScript compiler to be found, a warning and no check', () => {
  const job = project({ compilerOptions: { strict: true } });
  expect(() => typecheckJobModule(job, warn, () => undefined)).not.toThrow();
  expect(warnings).toEqual([
    expect.stringMatching(
      /tsconfig\.json applies to .*job\.ts, but no TypeScript compiler is installed there or with flinkx: running it without a type check/,
    ),
  ]);
});

test('a JavaScript module is checked only with checkJs, as tsc -p would', () => {
  const job = project({ compilerOptions: { strict: true } });
  const js = job.replace(/\.ts$/, '.js');
  writeFileSync(js, 'const x = 1;\n');
  expect(() => typecheckJobModule(js, warn)).not.toThrow();
});
