import type { ChatCommand } from './command.js';

export const whoCommand: ChatCommand = {
  name: 'who',
  usage: '/who',
  summary: 'list who is in your room',
  run: (chat, member) => chat.who(member),
};
