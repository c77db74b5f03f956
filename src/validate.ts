/**
 * The one set of option validators (DESIGN §1: options are resolved once, at the edge, by one set
 * of validators). Listener URL parameters, library options, the bench's options, codec limits and
 * CLI flags all go through these, so a bad value reads the same everywhere.
 */
import { InvalidOptionError } from './errors.js';

export interface WholeNumberRange {
  /** Smallest accepted value. @default 0 */
  min?: number;
  /** Largest accepted value. @default Number.MAX_SAFE_INTEGER */
  max?: number;
  /** What the number counts, for the message: `bytes`, `ms`. */
  unit?: string;
}

export function describeWholeNumber(range: WholeNumberRange): string {
  const min = range.min ?? 0;
  const unit = range.unit === undefined ? '' : ` of ${range.unit}`;
  return range.max === undefined || range.max >= Number.MAX_SAFE_INTEGER
    ? `a whole number${unit} of at least ${min}`
    : `a whole number${unit} from ${min} to ${range.max}`;
}

function inRange(value: number, range: WholeNumberRange): boolean {
  return (
    Number.isSafeInteger(value) &&
    value >= (range.min ?? 0) &&
    value <= (range.max ?? Number.MAX_SAFE_INTEGER)
  );
}

/**
 * A whole number given as a number (library options), or `fallback` when absent.
 * @throws InvalidOptionError `NAME must be a whole number from MIN to MAX, got VALUE`
 */
export function wholeNumber(
  name: string,
  value: number | undefined,
  fallback: number,
  range: WholeNumberRange = {},
): number {
  if (value === undefined) return fallback;
  if (!inRange(value, range)) {
    throw new InvalidOptionError(`${name} must be ${describeWholeNumber(range)}, got ${value}`);
  }
  return value;
}

/**
 * A whole number given as text (URL parameters, flags): digits only, no sign, no exponent.
 * @throws InvalidOptionError `NAME=TEXT must be a whole number of at least MIN`
 */
export function parseWholeNumber(name: string, text: string, range: WholeNumberRange = {}): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !inRange(value, range)) {
    throw new InvalidOptionError(`${name}=${text} must be ${describeWholeNumber(range)}`);
  }
  return value;
}

/**
 * One of a fixed set of names, or `fallback` when absent.
 * @throws InvalidOptionError naming the choices.
 */
export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  known: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(known as readonly string[]).includes(value)) {
    throw new InvalidOptionError(`${name} must be one of ${known.join(', ')}, got '${value}'`);
  }
  return value as T;
}
