import type { ChatCommand } from './command.js';

export const meCommand: ChatCommand = {
  name: 'me',
  usage: '/me action',
  summary: 'tell the room what you do: <nick> * action',
  run(chat, member, args) {
    if (args === '') return chat.notice(member, `usage: ${this.usage}`);
    return chat.action(member, args);
  },
};
