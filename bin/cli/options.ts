import { InvalidArgumentError } from 'commander';

/** A commander parser for a positive integer option (or ≥ 0 when `zero` is allowed). */
export function positiveInt(name: string, zero = false): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < (zero ? 0 : 1)) throw new InvalidArgumentError(`${name} must be an integer ${zero ? '≥ 0' : '≥ 1'}`);
    return n;
  };
}
