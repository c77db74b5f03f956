import type { Codec } from '../framing/codec.js';
import type { CloseReason, Session } from '../services/service.js';
import { runCommand } from './commands/index.js';
import { ChatListener } from './listener.js';
import { Member } from './member.js';
import { isReservedNick, isValidNick, nickKey } from './nick.js';
import { LOBBY, type ChatOptions } from './options.js';
import { Room } from './room.js';
import { stripControls } from './sanitize.js';

/** How many names /who lists before it only counts. */
const WHO_LIST_LIMIT = 100;
/** How many rooms /rooms lists before it only counts. */
const ROOMS_LIST_LIMIT = 100;

/**
 * Rooms, members and nicks, over any session the server accepts (DESIGN §6). The hub never waits
 * for a member: lines are queued per member and written once a tick; a member whose queue passes
 * its bound is disconnected with the reason, and the room goes on.
 */
export class Hub {
  private readonly members = new Map<Session, Member>();
  private readonly nicks = new Map<string, Member>();
  private readonly rooms = new Map<string, Room>();
  private readonly dirty = new Set<Member>();
  private flushScheduled = false;
  /** Nesting depth of broadcast(): drops decided inside one wait until it is done. */
  private broadcasting = 0;
  private readonly deferredDrops: Array<{ member: Member; why: string }> = [];
  private guests = 0;
  /** The listener of a hub built for one listener (`new Hub(options)`, then `open(session)`). */
  private readonly ownListener: ChatListener;

  /** `options.history` and `options.announceLimit` are the hub's; the rest are per listener. */
  constructor(readonly options: ChatOptions) {
    this.rooms.set(LOBBY, new Room(LOBBY, options.history));
    this.ownListener = new ChatListener(options);
  }

  get memberCount(): number {
    return this.members.size;
  }

  // ---- lifecycle, called by the chat service ------------------------------------------------

  open(session: Session, listener = this.ownListener): void {
    let nick: string;
    do nick = `guest-${++this.guests}`;
    while (this.nicks.has(nickKey(nick)));
    const member = new Member(session, nick, listener);
    this.members.set(session, member);
    this.nicks.set(nickKey(nick), member);
    this.enterRoom(member, LOBBY, (size) =>
      this.notice(
        member,
        `welcome to switchboard chat, ${nick}! You are in ${LOBBY} (${plural(size, 'member')}). Type /help for commands.`,
      ),
    );
  }

  message(session: Session, raw: Buffer): void {
    const member = this.members.get(session);
    if (member === undefined || member.gone) return;
    const limits = member.listener.options;
    if (member.flood !== undefined) {
      const verdict = member.flood.take();
      if (verdict === 'disconnect') {
        return this.drop(member, `flooding (over ${limits.floodRate} lines/s after a warning)`);
      }
      if (verdict === 'refused') {
        if (member.flood.firstRefusal) {
          this.notice(
            member,
            `slow down: over ${limits.floodRate} lines a second; lines are dropped until you do`,
          );
        }
        return;
      }
    }
    if (raw.length > limits.maxMessageBytes) {
      return this.notice(
        member,
        `line too long (${raw.length} bytes, limit ${limits.maxMessageBytes}); not sent`,
      );
    }
    const received = raw.toString('utf8');
    const text = stripControls(received);
    if (text.startsWith('/')) return runCommand(this, member, text);
    if (text.trim() === '') {
      return this.notice(
        member,
        received.trim() === ''
          ? 'empty line not sent'
          : 'nothing left to send after removing control characters',
      );
    }
    this.say(member, text);
  }

  close(session: Session, reason: CloseReason): void {
    const member = this.members.get(session);
    if (member !== undefined) this.remove(member, reason.detail);
  }

  /** The member is gone from the hub: out of its room (announced), its nick free again. */
  private remove(member: Member, why: string): void {
    this.members.delete(member.session);
    this.nicks.delete(nickKey(member.nick));
    this.dirty.delete(member);
    member.gone = true;
    member.pending = [];
    member.pendingBytes = 0;
    // Members leaving with their listener's shutdown leave quietly: no 10,000 leave notices.
    this.leaveRoom(member, member.listener.closing ? undefined : `${member.nick} left (${why})`);
  }

  /**
   * DESIGN §6/§7: tell everyone who came through `listener`, and write it now — the server closes
   * their sessions next. Members of other listeners sharing the hub stay.
   */
  shutdown(listener = this.ownListener): void {
    listener.closing = true;
    for (const member of this.members.values()) {
      if (member.listener === listener) this.notice(member, 'server shutting down');
    }
    this.flush();
  }

  // ---- operations, used by the commands ----------------------------------------------------

  say(member: Member, text: string): void {
    const room = this.requireRoom(member);
    if (room !== undefined) this.relay(room, member, `<${member.nick}> ${text}`);
  }

  action(member: Member, text: string): void {
    const room = this.requireRoom(member);
    if (room !== undefined) this.relay(room, member, `* ${member.nick} ${text}`);
  }

  rename(member: Member, wanted: string): void {
    if (!isValidNick(wanted)) {
      return this.notice(member, `invalid nick '${wanted}': use 1-24 letters, digits, _ or -`);
    }
    if (isReservedNick(wanted)) {
      return this.notice(member, `nick ${wanted} is reserved: it would read like a server notice`);
    }
    const holder = this.nicks.get(nickKey(wanted));
    if (holder !== undefined && holder !== member) return this.notice(member, `nick ${wanted} is taken`);
    const old = member.nick;
    this.nicks.delete(nickKey(old));
    this.nicks.set(nickKey(wanted), member);
    member.nick = wanted;
    this.notice(member, `you are now ${wanted}`);
    const room = member.room;
    if (room !== undefined && this.announces(room))
      this.broadcast(room, `* ${old} is now known as ${wanted}`, member);
  }

  join(member: Member, name: string): void {
    if (member.room?.name === name) return this.notice(member, `you are already in ${name}`);
    this.leaveRoom(member, `${member.nick} left for ${name}`);
    this.enterRoom(member, name, (size) =>
      this.notice(member, `you joined ${name} (${plural(size, 'member')})`),
    );
  }

  part(member: Member): void {
    const room = this.requireRoom(member);
    if (room === undefined) return;
    this.leaveRoom(member, `${member.nick} left`);
    this.notice(member, `you left ${room.name}; /join ROOM to talk again`);
  }

  privateMessage(member: Member, target: string, text: string): void {
    const recipient = this.nicks.get(nickKey(target));
    if (recipient === undefined) return this.notice(member, `no such nick: ${target}`);
    this.send(recipient, this.encode(recipient.session.codec, `*${member.nick}* ${text}`));
    this.send(member, this.encode(member.session.codec, `-> *${recipient.nick}* ${text}`));
  }

  who(member: Member): void {
    const room = this.requireRoom(member);
    if (room === undefined) return;
    const names: string[] = [];
    for (const m of room.members) {
      if (names.length === WHO_LIST_LIMIT) break;
      names.push(m.nick);
    }
    const more = room.members.size - names.length;
    this.notice(
      member,
      `${room.name}: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''} (${plural(room.members.size, 'member')})`,
    );
  }

  listRooms(member: Member): void {
    const names: string[] = [];
    for (const r of this.rooms.values()) {
      // As /who: one line, bounded, however many rooms 10,000 members have made.
      if (names.length === ROOMS_LIST_LIMIT) break;
      names.push(`${r.name} (${r.members.size})`);
    }
    const more = this.rooms.size - names.length;
    this.notice(member, `rooms: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }

  quit(member: Member, reason: string): void {
    const why = reason === '' ? 'quit' : `quit: ${reason}`;
    this.notice(member, 'bye');
    this.flushMember(member);
    // Leave now, not when the socket closes: OpenBSD nc holds its side open until stdin ends.
    this.remove(member, why);
    member.session.close(undefined, why);
  }

  notice(member: Member, text: string): void {
    this.send(member, this.encode(member.session.codec, `* ${text}`));
  }

  // ---- delivery ----------------------------------------------------------------------------

  private requireRoom(member: Member): Room | undefined {
    if (member.room === undefined) this.notice(member, 'you are not in a room; /join ROOM first');
    return member.room;
  }

  private announces(room: Room): boolean {
    // Issue #3: in a big room, joins and leaves are not announced (10,000 idle members must not cost 10,000² notices).
    return room.members.size <= this.options.announceLimit;
  }

  private enterRoom(member: Member, name: string, greet: (size: number) => void): void {
    let room = this.rooms.get(name);
    if (room === undefined) {
      room = new Room(name, this.options.history);
      this.rooms.set(name, room);
    }
    if (this.announces(room)) this.broadcast(room, `* ${member.nick} joined ${name}`, member);
    room.members.add(member);
    member.room = room;
    greet(room.members.size);
    const history = room.history.entries();
    if (history.length === 0) return;
    this.notice(member, `history: the last ${plural(history.length, 'message')} in ${name}`);
    const codec = member.session.codec;
    for (const line of history) this.send(member, codec.encode(Buffer.concat([HISTORY_MARK, line])));
    this.notice(member, 'end of history');
  }

  private leaveRoom(member: Member, announcement: string | undefined): void {
    const room = member.room;
    if (room === undefined) return;
    room.members.delete(member);
    member.room = undefined;
    if (announcement !== undefined && this.announces(room)) this.broadcast(room, `* ${announcement}`);
    // Empty rooms other than the lobby go away, history and all: nothing grows without members.
    if (room.members.size === 0 && room.name !== LOBBY) this.rooms.delete(room.name);
  }

  /** A member's line to the room: kept in its history, sent to everyone else. */
  private relay(room: Room, from: Member, line: string): void {
    room.history.add(line);
    this.broadcast(room, line, from);
  }

  /** Encode once per codec (every member of a listener shares one) and queue the same Buffer for all. */
  private broadcast(room: Room, line: string, except?: Member): void {
    let codec: Codec | undefined;
    let frame: Buffer | undefined;
    this.broadcasting++;
    for (const member of room.members) {
      if (member === except) continue;
      if (member.session.codec !== codec) {
        codec = member.session.codec;
        frame = this.encode(codec, line);
      }
      this.send(member, frame!);
    }
    this.broadcasting--;
    if (this.broadcasting === 0) this.dropDeferred();
  }

  private encode(codec: Codec, text: string): Buffer {
    return codec.encode(Buffer.from(text, 'utf8'));
  }

  private send(member: Member, frame: Buffer): void {
    if (member.gone || member.dropping) return;
    const queued = member.queuedBytes + frame.length;
    const limit = member.listener.options.maxQueueBytes;
    if (queued > limit) return this.drop(member, `too slow (${queued} bytes queued, limit ${limit})`);
    member.pending.push(frame);
    member.pendingBytes += frame.length;
    this.dirty.add(member);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Writes are batched per tick: every line queued in this turn of the event loop goes out in
      // one write per member.
      setImmediate(this.flush);
    }
  }

  /** DESIGN §6: a member that cannot keep up is disconnected with a stated reason; the room never waits. */
  private drop(member: Member, why: string): void {
    if (member.gone || member.dropping) return;
    member.dropping = true; // nothing more is queued for it
    if (this.broadcasting > 0) {
      // DESIGN §6, one order: announcing the leave now would put it before the line being
      // broadcast for the members not reached yet, and after it for the others.
      this.deferredDrops.push({ member, why });
      return;
    }
    // Leave now, not when the socket finally closes: a frozen peer may take the whole linger.
    this.remove(member, why);
    member.session.close(`* disconnected: ${why}`, why);
  }

  private dropDeferred(): void {
    // A leave announced here may overflow someone else in turn: it is deferred like this one.
    for (let next = this.deferredDrops.shift(); next !== undefined; next = this.deferredDrops.shift()) {
      const { member, why } = next;
      if (member.gone) continue;
      this.remove(member, why);
      member.session.close(`* disconnected: ${why}`, why);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const member of this.dirty) this.flushMember(member);
    this.dirty.clear();
  };

  private flushMember(member: Member): void {
    if (member.pending.length === 0) return;
    const frames = member.pending;
    member.pending = [];
    member.pendingBytes = 0;
    this.dirty.delete(member);
    if (!member.gone || member.listener.closing) member.session.sendFrames(frames);
  }
}

const HISTORY_MARK = Buffer.from('[history] ');

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
