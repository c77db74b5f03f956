import type { ChatCommand } from './command.js';

export const meCommand: ChatCommand = {
  name: 'me',
  usage: '/me action',
  summary: 'tell the room what you do: <nick> * action',
  run(hub, member, args) {
    if (args === '') return hub.notice(member, `usage: ${this.usage}`);
    hub.action(member, args);
  },
};
