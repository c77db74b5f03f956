import type { LevelWithSilent } from 'pino';
import { createLogger, type Logger } from '../log.js';

/**
 * The CLI's logger: readable lines on a terminal, JSON lines otherwise (for log shippers).
 * pino-pretty is loaded only when it is needed, keeping start-up fast.
 */
export async function cliLogger(level: string): Promise<Logger> {
  const lvl = level as LevelWithSilent;
  if (process.stderr.isTTY !== true || lvl === 'silent') return createLogger(lvl);
  const { default: pretty } = await import('pino-pretty');
  return createLogger(
    lvl,
    pretty({
      destination: 2,
      sync: true,
      colorize: true,
      translateTime: 'HH:MM:ss.l',
      ignore: 'pid,hostname',
      // One event, one line: a connect or close must not scroll the banner away.
      singleLine: true,
    }),
  );
}
