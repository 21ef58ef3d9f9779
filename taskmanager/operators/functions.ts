/**
 * User functions by name: the job's functions module first, then the built-ins. The module is the
 * CommonJS bundle the client built from the job file's `functions` entry and shipped with the job.
 */
import { captureJob } from '../../common/datastream/execution-context';
import { NonRetriableError } from '../../common/errors';

export type UserFunction = (...args: unknown[]) => unknown;

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

function textOf(record: unknown): string {
  if (typeof record === 'string') return record;
  if (typeof record === 'object' && record !== null) {
    const r = record as { text?: unknown; line?: unknown };
    if (typeof r.text === 'string') return r.text;
    if (typeof r.line === 'string') return r.line;
  }
  return String(record);
}

export const BUILTINS: Record<string, UserFunction> = {
  /** flatMap: lowercase, split on runs of non-letters/digits, emit {word, count: 1}. */
  tokenize: (record) => {
    const out: { word: string; count: number }[] = [];
    for (const word of textOf(record).toLowerCase().split(WORD_SPLIT)) if (word) out.push({ word, count: 1 });
    return out;
  },
  /** map: a line of JSON text to its value. */
  parseJson: (record) => JSON.parse(textOf(record)) as unknown,
  identity: (record) => record,
  /**
   * flatMap: the first match of `args.pattern` in the line as a record of `args.fields` (capture
   * group i + 1 under fields[i]) plus the constant fields of `args.set`; nothing if it does not match.
   */
  regexp: (record, args) => {
    const { pattern, fields, set } = regexpArgs(args);
    const m = pattern.exec(textOf(record));
    if (!m) return [];
    const out: Record<string, unknown> = { ...set };
    fields.forEach((f, i) => (out[f] = m[i + 1]));
    return [out];
  },
  /** map: a window result as a table row `{table, windowStart, windowEnd, key, value}`, from fields `args.key` and `args.value`. */
  tableRow: (record, args) => {
    const { table, key, value } = (args ?? {}) as Record<string, string>;
    if (typeof table !== 'string' || typeof key !== 'string' || typeof value !== 'string')
      throw new TypeError('tableRow needs args {table, key, value}');
    const r = record as Record<string, unknown>;
    return { table, windowStart: r.windowStart, windowEnd: r.windowEnd, key: r[key], value: r[value] };
  },
};

/** Compiled once per args object: a job's nodes keep theirs for the job's life. */
const compiled = new WeakMap<object, { pattern: RegExp; fields: string[]; set: Record<string, unknown> }>();

function regexpArgs(args: unknown): { pattern: RegExp; fields: string[]; set: Record<string, unknown> } {
  const a = (args ?? {}) as { pattern?: unknown; fields?: unknown; set?: unknown };
  let c = compiled.get(a);
  if (!c) {
    if (typeof a.pattern !== 'string' || !Array.isArray(a.fields) || !a.fields.every((f) => typeof f === 'string')) {
      throw new TypeError('regexp needs args {pattern: string, fields: string[], set?: object}');
    }
    c = { pattern: new RegExp(a.pattern), fields: a.fields as string[], set: (a.set ?? {}) as Record<string, unknown> };
    compiled.set(a, c);
  }
  return c;
}

type Origin = 'no module' | 'functions module' | 'job module';

/** No restart can make a missing function appear, so the job fails at once. */
export class UnknownFunctionError extends NonRetriableError {
  constructor(name: string, origin: Origin) {
    super(
      origin === 'job module'
        ? `the job module built no function for node "${name}" on this TaskManager: it must build the same graph wherever it is evaluated`
        : `function "${name}" is not a built-in (${Object.keys(BUILTINS).join(', ')})` +
            (origin === 'functions module'
              ? " and not exported by the job's functions module"
              : ' and the job names no `functions` module'),
      { code: 'UNKNOWN_FUNCTION' },
    );
  }
}

/**
 * The functions of a shipped bundle: a job file's functions module gives its exports; a DataStream job
 * module calls `execute()` while it loads, which hands over its closures by the ids the spec names.
 */
export function loadFunctions(path: string): FunctionRegistry {
  let exports: Record<string, unknown> = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const job = captureJob(() => (exports = require(path) as Record<string, unknown>));
  return job ? FunctionRegistry.ofJobModule(job.functions) : new FunctionRegistry(exports);
}

export class FunctionRegistry {
  private readonly origin: Origin;

  constructor(
    private readonly module: Record<string, unknown> | undefined,
    origin?: Origin,
  ) {
    this.origin = origin ?? (module ? 'functions module' : 'no module');
  }

  /** A DataStream job's closures by node id. Its nodes never name built-ins, so none stands in for a missing one. */
  static ofJobModule(functions: Map<string, unknown>): FunctionRegistry {
    return new FunctionRegistry(Object.fromEntries(functions), 'job module');
  }

  /** Whatever the functions module exports under `name` (e.g. a user aggregate object). */
  exported(name: string): unknown {
    return this.module?.[name];
  }

  resolve(name: string): UserFunction {
    const fromModule = this.module?.[name];
    if (typeof fromModule === 'function') return fromModule as UserFunction;
    const builtin = this.origin === 'job module' ? undefined : BUILTINS[name];
    if (builtin) return builtin;
    throw new UnknownFunctionError(name, this.origin);
  }
}
