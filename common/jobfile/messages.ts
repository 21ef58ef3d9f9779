/**
 * How a job file's problems read: each names its path in the file (`nodes[2].connector.kind`) and,
 * for a typo, the closest allowed word. Zod's issues are reworded here; the graph checks use `hint`.
 */
import { z } from 'zod';
import type { Problem } from '../errors';

/** A "did you mean" for the closest candidate within a small edit distance (typos like `keyby`, `lnes`). */
export function hint(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    // d < length: a one-letter word is "close" to every other one-letter word
    if (d < bestDist && d < word.length) [best, bestDist] = [c, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** A strict object whose unknown-key message knows the allowed keys, so it can suggest the right one. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      if (iss.keys.length === 1) return `unknown key${hint(iss.keys[0], known)}`;
      return `unknown keys ${iss.keys.map((k) => `"${k}"${hint(k, known)}`).join(', ')}`;
    },
  });
}

function renderPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = String(seg);
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** Plainer wording than zod's defaults for the issues a person writing a job file actually hits. */
export function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === 'invalid_type' && iss.input === undefined) return 'required';
  if (iss.code === 'invalid_type') {
    const what = iss.expected === 'int' ? 'integer' : iss.expected;
    return `must be ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`;
  }
  const oneOf = (values: readonly unknown[]) => `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (iss.code === 'invalid_value') {
    return `${oneOf(iss.values)}${typeof iss.input === 'string' ? hint(iss.input, iss.values.map(String)) : ''}`;
  }
  if (iss.code === 'invalid_union' && 'options' in iss && Array.isArray(iss.options)) {
    const got = (iss.input as Record<string, unknown> | undefined)?.[String(iss.discriminator)];
    if (got === undefined) return `required, ${oneOf(iss.options)}`;
    return `${oneOf(iss.options)}${typeof got === 'string' ? hint(got, iss.options.map(String)) : ''}`;
  }
  if (iss.code === 'too_small' || iss.code === 'too_big') {
    const bound = Number(iss.code === 'too_small' ? iss.minimum : iss.maximum);
    const small = iss.code === 'too_small';
    if (iss.origin === 'string' && small && bound === 1) return 'must not be empty';
    if (iss.origin === 'array') return `needs ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
    if (iss.origin === 'number') return `must be ${small ? '>' : '<'}${iss.inclusive ? '=' : ''} ${bound}`;
  }
  return undefined;
}

/** Zod's issues as problems at their path; an unknown key's path ends at the key itself. */
export function shapeProblems(error: z.ZodError): Problem[] {
  return error.issues.map((iss) => {
    const path = iss.code === 'unrecognized_keys' && iss.keys.length === 1 ? [...iss.path, iss.keys[0]] : iss.path;
    return { path: renderPath(path), message: iss.message };
  });
}
