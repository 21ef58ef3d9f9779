/**
 * Type-checking a job module before it runs. esbuild only strips types, so `keyBy('acountId')` on a
 * stream of `{accountId}` would bundle and run. When the module has a tsconfig.json beside it or
 * above it, it is checked the way `tsc -p` would check it with that tsconfig: its options, the
 * module and what it imports, plus the project's declaration files. `flinkx` is this installation's
 * API, as in the bundle. The TypeScript compiler is the project's own (resolved from the module's
 * folder), else the one flinkx came with; with neither, a warning and no check.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type * as TS from 'typescript';
import { FlinkxError } from '../../common/errors';

export class TypecheckError extends FlinkxError {
  constructor(path: string, tsconfig: string, errors: string[]) {
    super(
      'TYPECHECK_FAILED',
      `job module ${path} does not type-check with ${tsconfig} (--no-typecheck runs it anyway):\n${errors.join('\n')}`,
    );
  }
}

/** The nearest tsconfig.json in the module's folder or above it. */
export function findTsconfig(modulePath: string): string | undefined {
  for (let dir = dirname(resolve(modulePath)); ; dir = dirname(dir)) {
    const file = join(dir, 'tsconfig.json');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The TypeScript compiler of the module's project, else flinkx's own; undefined if neither is installed. */
export function loadTypescript(modulePath: string): typeof TS | undefined {
  for (const from of [modulePath, __filename]) {
    try {
      return createRequire(from)('typescript') as typeof TS;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** This installation's API (its .d.ts after the build, its .ts in the source tree), for `import 'flinkx'`. */
const FLINKX_API = join(dirname(require.resolve('../../common/datastream')), 'index');
/** Where this installation's files are: what the user's options make of them is not the module's error. */
const FLINKX_FILES = join(__dirname, '..', '..') + sep;

/** "No inputs were found in config file": the module is the input here, whatever the tsconfig includes. */
const NO_INPUTS = 18003;

/** `file:line:col error TSnnnn: message`, the file relative to the working directory if it is inside it. */
function formatDiagnostic(ts: typeof TS, d: TS.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return `error TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const inside = relative(process.cwd(), d.file.fileName);
  const file = inside.startsWith('..') ? d.file.fileName : inside;
  return `${file}:${line + 1}:${character + 1} error TS${d.code}: ${message}`;
}

/**
 * Checks `modulePath` if a tsconfig.json applies to it. Throws TypecheckError listing each error;
 * `warn` says why it could not check.
 */
export function typecheckJobModule(modulePath: string, warn: (message: string) => void, load = loadTypescript): void {
  const path = resolve(modulePath);
  const tsconfig = findTsconfig(path);
  if (!tsconfig) return;
  const ts = load(path);
  if (!ts) {
    warn(
      `${tsconfig} applies to ${path}, but no TypeScript compiler is installed there or with flinkx: running it without a type check (npm i -D typescript)`,
    );
    return;
  }
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!config) throw new TypecheckError(path, tsconfig, [`cannot read ${tsconfig}`]);
  // tsc -p checks JavaScript only with checkJs (and without allowJs would refuse the file).
  if (!/\.[cm]?ts$/.test(path) && !config.options.checkJs) return;
  const options: TS.CompilerOptions = { ...config.options, paths: { ...config.options.paths, flinkx: [FLINKX_API] } };
  // The module and its imports, not every file the tsconfig includes (other jobs, tests); its
  // declaration files may declare what the module uses.
  const roots = [path, ...config.fileNames.filter((f) => /\.d\.[cm]?ts$/.test(f))];
  const program = ts.createProgram(roots, options);
  const errors = [...config.errors, ...ts.getPreEmitDiagnostics(program)].filter(
    (d) =>
      d.category === ts.DiagnosticCategory.Error && d.code !== NO_INPUTS && !d.file?.fileName.startsWith(FLINKX_FILES),
  );
  if (errors.length > 0)
    throw new TypecheckError(
      path,
      tsconfig,
      errors.map((d) => formatDiagnostic(ts, d)),
    );
}
