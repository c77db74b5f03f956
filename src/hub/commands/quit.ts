import type { ChatCommand } from './command.js';

export const quitCommand: ChatCommand = {
  name: 'quit',
  usage: '/quit [reason]',
  summary: 'leave the chat',
  run: (hub, member, args) => hub.quit(member, args),
};
