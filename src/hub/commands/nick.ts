import type { ChatCommand } from './command.js';

export const nickCommand: ChatCommand = {
  name: 'nick',
  usage: '/nick NAME',
  summary: 'change your nick (1-24 letters, digits, _ or -)',
  run(hub, member, args) {
    if (args === '') return hub.notice(member, `you are ${member.nick}; usage: ${this.usage}`);
    hub.rename(member, args);
  },
};
