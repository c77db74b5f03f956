import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

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
 * Logs for the CLI: structured JSON lines on stderr, or readable lines when stderr is a terminal.
 * Synchronous, so a line written just before exit is never lost.
 */
export function createLogger(
  level: LevelWithSilent = 'info',
  readable = process.stderr.isTTY === true,
): Logger {
  if (readable) {
    return pino(
      { level, base: null },
      pretty({
        destination: 2,
        sync: true,
        colorize: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname',
      }),
    );
  }
  return pino({ level, base: null }, pino.destination({ fd: 2, sync: true }));
}
