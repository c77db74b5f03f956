import type { ChatCommand } from './command.js';

export const seqCommand: ChatCommand = {
  name: 'seq',
  usage: '/seq on|off',
  summary: 'tag room lines with their numbers, to resume from them (docs/chat.md)',
  run(chat, member, args) {
    const mode = args.toLowerCase();
    if (mode !== 'on' && mode !== 'off') return chat.notice(member, `usage: ${this.usage}`);
    chat.sequenceNumbers(member, mode === 'on');
  },
};
