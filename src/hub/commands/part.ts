import type { ChatCommand } from './command.js';

export const partCommand: ChatCommand = {
  name: 'part',
  usage: '/part',
  summary: 'leave your room',
  run: (chat, member) => chat.part(member),
};
