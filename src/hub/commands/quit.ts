import type { ChatCommand } from './command.js';

export const quitCommand: ChatCommand = {
  name: 'quit',
  usage: '/quit [reason]',
  summary: 'leave the chat',
  run: (chat, member, args) => chat.quit(member, args),
};
