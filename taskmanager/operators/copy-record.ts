/**
 * A copy of a record that shares no object with it: what Flink's default (object reuse off) gives
 * an operator, where flinkx hands records on as objects. Plain objects and arrays are copied at
 * every level, primitives are kept; anything else goes through structuredClone, and a value that
 * cannot be cloned (a function) is kept as it is: it could not cross a thread either.
 */
export function copyRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyRecord) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    try {
      return structuredClone(value);
    } catch {
      return value;
    }
  }
  // Spread defines own properties, so a key named "__proto__" stays a key (assignment would set the prototype).
  const copy = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) {
    const v = copy[key];
    if (typeof v === 'object' && v !== null) copy[key] = copyRecord(v);
  }
  return copy as T;
}
