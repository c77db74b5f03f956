import type { ChatCommand } from './command.js';

export const nickCommand: ChatCommand = {
  name: 'nick',
  usage: '/nick NAME',
  summary: 'change your nick (1-24 letters, digits, _ or -)',
  run(chat, member, args) {
    if (args === '') return chat.notice(member, `you are ${member.nick}; usage: ${this.usage}`);
    return chat.rename(member, args);
  },
};
