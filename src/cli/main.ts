#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.js';
import { chatCommand } from './chat.js';
import { connectCommand } from './connect.js';
import { ExitCode, fail } from './exit-codes.js';
import { serveCommand } from './serve.js';
import { topCommand } from './top.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('switchboard')
  .description('Socket messaging toolkit: servers, an interactive client, a chat hub and a load generator.')
  .version(version)
  .showSuggestionAfterError();

program.addCommand(serveCommand());
program.addCommand(connectCommand());
program.addCommand(chatCommand());
program.addCommand(benchCommand());
program.addCommand(topCommand());
// Further commands register here, one line each.

/** DESIGN §5: bad usage exits 2 (commander's own default is 1). */
function exitOnUsageErrors(command: Command): void {
  command.exitOverride();
  command.commands.forEach(exitOnUsageErrors);
}
exitOnUsageErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
  }
  fail(err);
}
