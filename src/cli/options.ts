import { InvalidArgumentError } from 'commander';
import { LOG_LEVELS } from '../log.js';

/** Commander argument parsers: a bad value is a usage error naming the flag's expectation. */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number of at least ${min}, got '${value}'`);
    }
    return n;
  };
}

export function logLevel(value: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}
