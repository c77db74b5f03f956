import { normalizeRoom } from '../nick.js';
import type { ChatCommand } from './command.js';

export const joinCommand: ChatCommand = {
  name: 'join',
  usage: '/join ROOM',
  summary: 'leave your room and join ROOM (created if new)',
  run(chat, member, args) {
    const room = normalizeRoom(args);
    if (room === undefined) {
      return chat.notice(
        member,
        args === '' ? `usage: ${this.usage}` : `invalid room '${args}': use 1-32 letters, digits, _ or -`,
      );
    }
    return chat.join(member, room);
  },
};
