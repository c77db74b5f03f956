import type { ChatCommand } from './command.js';

export const roomsCommand: ChatCommand = {
  name: 'rooms',
  usage: '/rooms',
  summary: 'list the rooms and how many are in each',
  run: (chat, member) => chat.listRooms(member),
};
