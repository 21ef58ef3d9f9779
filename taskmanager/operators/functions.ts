/**
 * User functions by name: the job's functions module first, then the built-ins. The module is the
 * CommonJS bundle the client built from the job file's `functions` entry and shipped with the job.
 */
import { FlinkxError } from '../../common/errors';

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
  parseJson: (record) => JSON.parse(textOf(record)),
  identity: (record) => record,
};

export class UnknownFunctionError extends FlinkxError {
  constructor(name: string, hasModule: boolean) {
    super(
      'UNKNOWN_FUNCTION',
      `function "${name}" is not a built-in (${Object.keys(BUILTINS).join(', ')})` +
        (hasModule ? ' and not exported by the job\'s functions module' : ' and the job names no `functions` module'),
    );
  }
}

export class FunctionRegistry {
  constructor(private readonly module: Record<string, unknown> | undefined) {}

  /** Whatever the functions module exports under `name` (e.g. a user aggregate object). */
  exported(name: string): unknown {
    return this.module?.[name];
  }

  resolve(name: string): UserFunction {
    const fromModule = this.module?.[name];
    if (typeof fromModule === 'function') return fromModule as UserFunction;
    const builtin = BUILTINS[name];
    if (builtin) return builtin;
    throw new UnknownFunctionError(name, this.module !== undefined);
  }
}
