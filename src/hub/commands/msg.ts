import type { ChatCommand } from './command.js';

export const msgCommand: ChatCommand = {
  name: 'msg',
  usage: '/msg NICK text',
  summary: 'send text to NICK alone',
  run(chat, member, args) {
    const match = /^(\S+)\s+(.*\S.*)$/.exec(args);
    if (match === null) return chat.notice(member, `usage: ${this.usage}`);
    return chat.privateMessage(member, match[1]!, match[2]!);
  },
};
