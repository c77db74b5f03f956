import type { Member } from '../member.js';
import type { ChatCommand } from './command.js';
import type { ChatContext } from './context.js';
import { unknownCommandText } from '../protocol.js';
import { helpCommand } from './help.js';
import { joinCommand } from './join.js';
import { meCommand } from './me.js';
import { msgCommand } from './msg.js';
import { nickCommand } from './nick.js';
import { partCommand } from './part.js';
import { quitCommand } from './quit.js';
import { resumeCommand } from './resume.js';
import { roomsCommand } from './rooms.js';
import { seqCommand } from './seq.js';
import { whoCommand } from './who.js';

const ORDERED: ChatCommand[] = [
  nickCommand,
  joinCommand,
  partCommand,
  msgCommand,
  meCommand,
  whoCommand,
  roomsCommand,
  seqCommand,
  resumeCommand,
  quitCommand,
];
ORDERED.push(helpCommand(() => ORDERED));

const COMMANDS: ReadonlyMap<string, ChatCommand> = new Map(ORDERED.map((c) => [c.name, c]));

/** Run `/name args`; an unknown command gets a notice naming it. */
export function runCommand(chat: ChatContext, member: Member, line: string): void | Promise<void> {
  const match = /^\/(\S*)\s*(.*)$/s.exec(line)!;
  const name = match[1]!.toLowerCase();
  const command = COMMANDS.get(name);
  if (command === undefined) return chat.notice(member, unknownCommandText(match[1]!));
  return command.run(chat, member, match[2]!.trim());
}
