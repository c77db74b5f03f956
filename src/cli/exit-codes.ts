import { ErrorCode, SwitchboardError } from '../errors.js';

/** DESIGN §5: 0 success, 1 runtime or connection failure, 2 bad usage. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const USAGE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_ENDPOINT,
  ErrorCode.INVALID_OPTION,
  ErrorCode.UNKNOWN_SERVICE,
  ErrorCode.UNSUPPORTED,
]);

export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof SwitchboardError && USAGE_CODES.has(err.code) ? ExitCode.USAGE : ExitCode.FAILURE;
}

/** One line a user can act on, on stderr; then the exit code that fits the error. */
export function fail(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(exitCodeFor(err));
}
