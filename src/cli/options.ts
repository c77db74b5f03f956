import { InvalidArgumentError } from 'commander';
import { LOG_LEVELS } from '../log.js';
import { describeWholeNumber, parseWholeNumber } from '../validate.js';

/** Commander argument parsers: a bad value is a usage error naming the flag's expectation. */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    try {
      return parseWholeNumber('value', value, { min });
    } catch {
      throw new InvalidArgumentError(`expected ${describeWholeNumber({ min })}, got '${value}'`);
    }
  };
}

export function logLevel(value: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}
