import type { Member } from '../member.js';
import type { ChatContext } from './context.js';

/** One slash command: `/name args`. */
export interface ChatCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(chat: ChatContext, member: Member, args: string): void | Promise<void>;
}
