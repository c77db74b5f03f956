import type { LevelWithSilent } from 'pino';
import { StderrDestination, createLogger, type Logger } from '../log.js';

/**
 * The CLI's logger: readable lines on a terminal, JSON lines otherwise (for log shippers). Both
 * go through a `StderrDestination`, so a stderr nobody reads never stops the server (issue 13,
 * item 6). pino-pretty is loaded only when it is needed, keeping start-up fast.
 */
export async function cliLogger(level: string): Promise<Logger> {
  const lvl = level as LevelWithSilent;
  if (process.stderr.isTTY !== true || lvl === 'silent') return createLogger(lvl);
  const { prettyFactory } = await import('pino-pretty');
  const pretty = prettyFactory({
    colorize: true,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    // One event, one line: a connect or close must not scroll the banner away.
    singleLine: true,
  });
  return createLogger(lvl, new StderrDestination({ format: (line) => pretty(line) }));
}
