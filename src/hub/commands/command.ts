import type { Hub } from '../hub.js';
import type { Member } from '../member.js';

/** One slash command: `/name args`. */
export interface ChatCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(hub: Hub, member: Member, args: string): void;
}
