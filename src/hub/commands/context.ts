import type { Member } from '../member.js';

/**
 * What a command may do (DESIGN §1: commands depend on this, not on the hub, so there is no
 * hub ↔ commands cycle). An operation that must ask another node returns a Promise: the member's
 * next line waits for it.
 */
export interface ChatContext {
  notice(member: Member, text: string): void;
  rename(member: Member, wanted: string): void | Promise<void>;
  join(member: Member, room: string): void | Promise<void>;
  part(member: Member): void;
  action(member: Member, text: string): void | Promise<void>;
  privateMessage(member: Member, target: string, text: string): void | Promise<void>;
  who(member: Member): void;
  listRooms(member: Member): void;
  quit(member: Member, reason: string): void;
  sequenceNumbers(member: Member, on: boolean): void;
  resume(member: Member, room: string, epoch: string, seq: number): void | Promise<void>;
}
