import { Command } from 'commander';
import { DEFAULT_TOP_INTERVAL_MS, runTop } from '../metrics/top.js';
import { ExitCode, fail } from './exit-codes.js';
import { wholeNumber } from './options.js';

interface TopFlags {
  once?: boolean;
  interval?: number;
}

/** `switchboard top URL`: the CLI only parses flags; the view is src/metrics/top.ts. */
export function topCommand(): Command {
  return new Command('top')
    .description("a live view of a running server, read from its --metrics endpoint's /varz, as nats top")
    .argument('<url>', "the server's metrics endpoint: http://HOST:PORT (as given to serve --metrics)")
    .option('--once', 'print one view (two readings one interval apart, for the rates) and exit')
    .option(
      '--interval <ms>',
      `refresh every this many ms (default ${DEFAULT_TOP_INTERVAL_MS})`,
      wholeNumber(100),
    )
    .addHelpText(
      'after',
      `
Exit status: 0 after --once or Ctrl-C, 1 when the endpoint cannot be read, 2 for a bad URL.

Examples:
  switchboard serve --metrics http://127.0.0.1:9464 &
  switchboard top http://127.0.0.1:9464
  switchboard top http://127.0.0.1:9464 --once`,
    )
    .action(async (url: string, flags: TopFlags) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await runTop(url, {
        once: flags.once === true,
        ...(flags.interval !== undefined && { intervalMs: flags.interval }),
        write: (text) => process.stdout.write(text),
        signal: stop.signal,
      }).catch(fail);
      process.exit(ExitCode.OK);
    });
}
