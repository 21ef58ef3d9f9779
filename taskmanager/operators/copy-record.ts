/**
 * A copy of a record's plain data that shares no object or array with it: what Flink's default
 * (object reuse off) gives an operator, where flinkx hands records on as objects. Plain objects and
 * arrays are copied at every level and primitives kept. Other objects (a Date, a class instance
 * with its toJSON) are kept as they are: a copy would lose what makes them what they are.
 */
export function copyRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyRecord) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  // Spread defines own properties, so a key named "__proto__" stays a key (assignment would set the prototype).
  const copy = { ...(value as Record<string, unknown>) };
  // for-in allocates no key array; an inherited enumerable key (a polluted prototype) is not the record's.
  for (const key in copy) {
    const v = copy[key];
    if (typeof v === 'object' && v !== null && Object.hasOwn(copy, key)) copy[key] = copyRecord(v);
  }
  return copy as T;
}
