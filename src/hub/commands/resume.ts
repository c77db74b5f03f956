import { normalizeRoom } from '../nick.js';
import type { ChatCommand } from './command.js';

export const resumeCommand: ChatCommand = {
  name: 'resume',
  usage: '/resume ROOM EPOCH SEQ',
  summary: 'join ROOM and get the lines after SEQ you missed (docs/chat.md)',
  run(chat, member, args) {
    const match = /^(\S+)\s+([0-9a-f]{1,32})\s+(\d{1,15})$/.exec(args);
    const room = match === null ? undefined : normalizeRoom(match[1]!);
    if (match === null || room === undefined) return chat.notice(member, `usage: ${this.usage}`);
    return chat.resume(member, room, match[2]!, Number(match[3]));
  },
};
