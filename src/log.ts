import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

/** The library logs nothing unless handed a logger. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A structured logger writing JSON lines to `destination` (default: stderr, synchronously, so a
 * line written just before exit is never lost).
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino({ level, base: null }, destination ?? pino.destination({ fd: 2, sync: true }));
}
