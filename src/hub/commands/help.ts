import type { ChatCommand } from './command.js';

/** Built lazily from the registry, so /help always lists exactly the commands there are. */
export function helpCommand(all: () => readonly ChatCommand[]): ChatCommand {
  return {
    name: 'help',
    usage: '/help',
    summary: 'this list',
    run(chat, member) {
      chat.notice(member, 'commands (anything else you type goes to your room):');
      const width = Math.max(...all().map((c) => c.usage.length));
      for (const c of all()) chat.notice(member, `  ${c.usage.padEnd(width)}  ${c.summary}`);
    },
  };
}
