import type { Codec } from '../framing/codec.js';
import type { CloseReason, Session } from '../services/service.js';
import { runCommand } from './commands/index.js';
import { foreignProtocolOfFirstLine } from './foreign-protocol.js';
import { ChatListener } from './listener.js';
import { Member } from './member.js';
import { isValidNick, nickKey, nickRefusal } from './nick.js';
import { LOBBY, type ChatOptions } from './options.js';
import {
  actionLine,
  joinedText,
  leftText,
  notice,
  plural,
  privateEcho,
  privateFrom,
  renamedText,
  roomLine,
  welcomeText,
  HISTORY_PREFIX,
} from './protocol.js';
import { PublisherStalls, type StallStats } from './publisher-stalls.js';
import { Room } from './room.js';
import { stripControls } from './sanitize.js';

/** How many names /who lists before it only counts. */
const WHO_LIST_LIMIT = 100;
/** How many rooms /rooms lists before it only counts. */
const ROOMS_LIST_LIMIT = 100;

/** What the hub's flow control did, for the log and the metrics (DESIGN §9). */
export interface HubStats extends StallStats {
  /** Lines held back because their sender was over the flood rate. */
  floodDelays: number;
  /** Room lines queued for members (one per recipient: a line to 100 members counts 100). */
  deliveries: number;
  /**
   * Members gone, by reason: `slow`, `foreign` and `quit` as the hub decided, otherwise the
   * session's CloseReason kind (`peer-closed`, `shutdown`, `idle`, `reset`, …).
   */
  disconnects: Record<string, number>;
}

/**
 * Rooms, members and nicks, over any session the server accepts (DESIGN §6).
 *
 * Delivery: a room's lines of one event-loop turn are joined once and written to each member as
 * one buffer (RoomBatch); notices and private messages take their place in a member's outbox in
 * order. Flow control loses nothing: a member over the flood rate has its reading paused until its
 * next line is due (fake lag); a member whose socket stops taking data holds back the senders
 * feeding it, for a bounded time (PublisherStalls), and is cut with the reason only when what its
 * socket holds passes `maxQueue`.
 */
export class Hub {
  private readonly members = new Map<Session, Member>();
  private readonly nicks = new Map<string, Member>();
  private readonly rooms = new Map<string, Room>();
  /** Members with something in their outbox. */
  private readonly dirty = new Set<Member>();
  /** Rooms with lines broadcast this turn. */
  private readonly dirtyRooms = new Set<Room>();
  private flushScheduled = false;
  private guests = 0;
  /** The listener of a hub built for one listener (`new Hub(options)`, then `open(session)`). */
  private readonly ownListener: ChatListener;
  private readonly stalls = new PublisherStalls((m) => m.listener.options);
  private readonly counts: { floodDelays: number; deliveries: number; disconnects: Record<string, number> } =
    {
      floodDelays: 0,
      deliveries: 0,
      disconnects: { slow: 0, foreign: 0, quit: 0 },
    };

  /** `options.history` and `options.announceLimit` are the hub's; the rest are per listener. */
  constructor(readonly options: ChatOptions) {
    this.rooms.set(LOBBY, new Room(LOBBY, options.history));
    this.ownListener = new ChatListener(options);
  }

  get memberCount(): number {
    return this.members.size;
  }

  get stats(): HubStats {
    return { ...this.stalls.stats, ...this.counts, disconnects: { ...this.counts.disconnects } };
  }

  /** Rooms that exist now, the lobby included. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** The most any member's socket holds unsent now, in bytes: how close the slowest is to its cap. */
  get maxMemberQueueBytes(): number {
    let max = 0;
    for (const session of this.members.keys()) max = Math.max(max, session.bufferedBytes);
    return max;
  }

  // ---- lifecycle, called by the chat service ------------------------------------------------

  open(session: Session, listener = this.ownListener): void {
    let nick: string;
    do nick = `guest-${++this.guests}`;
    while (this.nicks.has(nickKey(nick)));
    const member = new Member(session, nick, listener);
    this.members.set(session, member);
    this.nicks.set(nickKey(nick), member);
    this.enterRoom(member, LOBBY, (size) => this.notice(member, welcomeText(nick, LOBBY, size)));
  }

  /**
   * One line from a member. DESIGN §6, nothing a member sent is dropped: over the flood rate, the
   * line waits its turn — the promise pauses reading from this member only, and its later lines
   * queue behind this one in order.
   */
  message(session: Session, raw: Buffer): void | Promise<void> {
    const member = this.members.get(session);
    if (member === undefined || member.gone) return;
    if (member.linesIn++ === 0) {
      const foreign = foreignProtocolOfFirstLine(raw);
      if (foreign !== undefined) return this.refuseForeign(member, foreign);
    }
    const wait = member.flood?.take() ?? 0;
    if (wait === 0) return this.handleLine(member, raw);
    this.counts.floodDelays++;
    if (member.flood!.newEpisode) {
      this.notice(
        member,
        `slow down: over ${member.listener.options.floodRate} lines a second; your lines are delayed, none is lost`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        try {
          this.handleLine(member, raw);
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }, wait);
    });
  }

  /** The first bytes of a session are another protocol's (see foreign-protocol.ts). */
  refuseForeign(member: Member, what: string): void {
    this.counts.disconnects.foreign!++;
    this.remove(member, `not a chat client (${what})`, false);
    member.session.destroy(`not a chat client: ${what} on a chat port`);
  }

  close(session: Session, reason: CloseReason): void {
    const member = this.members.get(session);
    if (member === undefined) return; // already gone: slow, foreign or quit, counted then
    this.counts.disconnects[reason.kind] = (this.counts.disconnects[reason.kind] ?? 0) + 1;
    this.remove(member, reason.detail);
  }

  /** The member's socket has emptied its outbound buffer: whoever it held back may go on. */
  drained(session: Session): void {
    const member = this.members.get(session);
    if (member !== undefined) this.stalls.drained(member);
  }

  /** The member is gone from the hub: out of its room (announced), its nick free again. */
  private remove(member: Member, why: string, announce = true): void {
    this.members.delete(member.session);
    this.nicks.delete(nickKey(member.nick));
    this.dirty.delete(member);
    this.stalls.forget(member);
    member.gone = true;
    member.clearOutbox();
    // Members leaving with their listener's shutdown leave quietly: no 10,000 leave notices.
    const quiet = !announce || member.listener.closing;
    this.leaveRoom(member, quiet ? undefined : `${member.nick} left (${why})`);
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
    if ([...this.members.values()].every((m) => m.listener.closing)) this.stalls.releaseAll();
  }

  // ---- operations, used by the commands ----------------------------------------------------

  say(member: Member, text: string): void {
    const room = this.requireRoom(member);
    if (room !== undefined) this.relay(room, member, roomLine(member.nick, text));
  }

  /**
   * `/me waves` reaches the room as `<alice> * waves`: it starts with its author like any line, so
   * it can never read like a server notice (`* alice left …`) to an nc user (issue 13).
   */
  action(member: Member, text: string): void {
    const room = this.requireRoom(member);
    if (room !== undefined) this.relay(room, member, actionLine(member.nick, text));
  }

  rename(member: Member, wanted: string): void {
    const refusal = nickRefusal(wanted);
    if (refusal !== undefined) {
      const shown = isValidNick(wanted) ? wanted : `'${wanted}'`; // a name with spaces reads as one
      return this.notice(member, `nick ${shown} is ${refusal}`);
    }
    const holder = this.nicks.get(nickKey(wanted));
    if (holder !== undefined && holder !== member) return this.notice(member, `nick ${wanted} is taken`);
    const old = member.nick;
    this.nicks.delete(nickKey(old));
    this.nicks.set(nickKey(wanted), member);
    member.nick = wanted;
    this.notice(member, renamedText(wanted));
    const room = member.room;
    if (room !== undefined && this.announces(room))
      this.broadcast(room, notice(`${old} is now known as ${wanted}`), member);
  }

  join(member: Member, name: string): void {
    if (member.room?.name === name) return this.notice(member, `you are already in ${name}`);
    this.leaveRoom(member, `${member.nick} left for ${name}`);
    this.enterRoom(member, name, (size) => this.notice(member, joinedText(name, size)));
  }

  part(member: Member): void {
    const room = this.requireRoom(member);
    if (room === undefined) return;
    this.leaveRoom(member, `${member.nick} left`);
    this.notice(member, leftText(room.name));
  }

  privateMessage(member: Member, target: string, text: string): void {
    const recipient = this.nicks.get(nickKey(target));
    if (recipient === undefined) return this.notice(member, `no such nick: ${target}`);
    this.send(recipient, this.encode(recipient.session.codec, privateFrom(member.nick, text)));
    this.send(member, this.encode(member.session.codec, privateEcho(recipient.nick, text)));
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
    this.counts.disconnects.quit!++;
    this.notice(member, 'bye');
    this.write(member);
    // Leave now, not when the socket closes: OpenBSD nc holds its side open until stdin ends.
    this.remove(member, why);
    member.session.close(undefined, why);
  }

  notice(member: Member, text: string): void {
    this.send(member, this.encode(member.session.codec, notice(text)));
  }

  // ---- lines in ----------------------------------------------------------------------------

  private handleLine(member: Member, raw: Buffer): void {
    if (member.gone) return;
    const limits = member.listener.options;
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
    // Issue 13: the limit is on what is relayed and kept — invalid UTF-8 decodes to U+FFFD, three
    // bytes for each bad byte, so a line can grow past the limit after the check on what came in.
    const relayedBytes = Buffer.byteLength(text, 'utf8');
    if (relayedBytes > limits.maxMessageBytes) {
      return this.notice(
        member,
        `line too long once made valid UTF-8 (${relayedBytes} bytes, limit ${limits.maxMessageBytes}); not sent`,
      );
    }
    this.say(member, text);
    const room = member.room;
    // A turn that gathers a lot is written out now rather than at its end: memory follows what
    // sockets refuse, not what one turn read (issue 13, a burst inside the limits).
    if (room !== undefined && this.batchBytes(room) >= DELIVER_EARLY_BYTES) this.deliverRoomNow(room);
  }

  // ---- rooms -------------------------------------------------------------------------------

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
    if (this.announces(room)) this.broadcast(room, notice(`${member.nick} joined ${name}`), member);
    room.add(member);
    member.room = room;
    member.standAtEnd();
    greet(room.members.size);
    this.replayHistory(member, room);
  }

  /**
   * Issue 13: the replay must fit the joiner's queue, or a room's history would cut every newcomer.
   * The newest lines that fit in half of `maxQueue` are sent, and the member is told if that is not all.
   */
  private replayHistory(member: Member, room: Room): void {
    const history = room.history.entries();
    if (history.length === 0) return;
    const budget = Math.floor(member.listener.options.maxQueueBytes / 2);
    const codec = member.session.codec;
    let first = history.length;
    let bytes = 0;
    while (first > 0) {
      // The frame's size: the mark, the line, and a framing's worst overhead (a 4-byte length).
      const size = HISTORY_MARK.length + history[first - 1]!.length + 4;
      if (bytes + size > budget) break;
      bytes += size;
      first--;
    }
    const sent = history.length - first;
    const left = first > 0 ? `; ${plural(first, 'older one')} would not fit your queue` : '';
    this.notice(member, `history: the last ${plural(sent, 'message')} in ${room.name}${left}`);
    for (let i = first; i < history.length; i++) {
      this.send(member, codec.encode(Buffer.concat([HISTORY_MARK, history[i]!])));
    }
    this.notice(member, 'end of history');
  }

  private leaveRoom(member: Member, announcement: string | undefined): void {
    const room = member.room;
    if (room === undefined) return;
    // What the room said before the member left is still its to receive.
    if (!member.gone) member.takeRun();
    room.delete(member);
    member.room = undefined;
    if (announcement !== undefined && this.announces(room)) this.broadcast(room, notice(announcement));
    // Empty rooms other than the lobby go away, history and all: nothing grows without members.
    if (room.members.size === 0 && room.name !== LOBBY) this.rooms.delete(room.name);
  }

  /** A member's line to the room: kept in its history, sent to everyone else. */
  private relay(room: Room, from: Member, line: string): void {
    room.history.add(line);
    this.broadcast(room, line, from);
  }

  /**
   * Encode once per codec in the room and add the frame to the room's batch for this turn; no
   * member is touched, except the sender, whose run of the batch skips its own line.
   */
  private broadcast(room: Room, line: string, from?: Member): void {
    // DESIGN §9: one add per line, not per member; the sender does not get its own line back.
    this.counts.deliveries += room.members.size - (from !== undefined && from.room === room ? 1 : 0);
    for (const codec of room.codecs.keys()) {
      const batch = room.openBatch(codec);
      if (from !== undefined && from.room === room && from.session.codec === codec) {
        from.takeRun(batch.length, batch.length + 1);
      }
      batch.add(this.encode(codec, line), from);
    }
    this.dirtyRooms.add(room);
    this.scheduleFlush();
  }

  private batchBytes(room: Room): number {
    let bytes = 0;
    for (const batch of room.batches.values()) bytes += batch.bytes;
    return bytes;
  }

  private encode(codec: Codec, text: string): Buffer {
    return codec.encode(Buffer.from(text, 'utf8'));
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** Queue a frame for one member (a notice, a private message, history). */
  private send(member: Member, frame: Buffer): void {
    if (member.gone || member.dropping) return;
    member.push(frame);
    this.dirty.add(member);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Writes are batched per turn: every line of this turn goes out in one write per member.
    setImmediate(this.flush);
  }

  /** Close a room's batches: each member takes its run of them. */
  private closeBatches(room: Room): void {
    if (room.batches.size === 0) return;
    for (const member of room.members) {
      member.takeRun();
      this.dirty.add(member);
    }
    room.batches.clear();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const room of this.dirtyRooms) this.closeBatches(room);
    this.dirtyRooms.clear();
    const members = [...this.dirty];
    this.dirty.clear();
    this.writeAll(members);
  };

  /** Deliver one room's lines now, in the middle of a turn. */
  private deliverRoomNow(room: Room): void {
    this.closeBatches(room);
    this.dirtyRooms.delete(room);
    const members: Member[] = [];
    for (const member of room.members) {
      this.dirty.delete(member);
      members.push(member);
    }
    this.writeAll(members);
  }

  /** Write each member's outbox; then cut those whose sockets hold more than they may. */
  private writeAll(members: readonly Member[]): void {
    let slow: Member[] | undefined;
    for (const member of members) {
      if (this.write(member)) (slow ??= []).push(member);
    }
    // Cut after every write of the pass, so every member saw the same lines before the leave.
    if (slow !== undefined) for (const member of slow) this.dropSlow(member);
  }

  /** Write a member's outbox; true if its socket now holds more than `maxQueue`. */
  private write(member: Member): boolean {
    if (!member.hasOutput) return false;
    const frames = member.takeOutbox();
    if (member.gone && !member.listener.closing) return false;
    member.session.sendFrames(frames);
    for (const frame of frames) member.bytesOut += frame.length;
    // DESIGN §6 / issue 13: a member is slow when its socket stops taking data, not when the hub
    // has not written yet — only what the socket could not hand to the kernel counts.
    const held = member.session.bufferedBytes;
    const { maxQueueBytes, stallAtBytes } = member.listener.options;
    if (held > maxQueueBytes) return true;
    if (held > stallAtBytes && member.written.length > 0) {
      const taken = member.bytesOut - held;
      for (const batch of member.written) this.stalls.congested(member, batch.senders, taken);
    }
    return false;
  }

  /** DESIGN §6: a member that cannot keep up is disconnected with a stated reason; the room never waits. */
  private dropSlow(member: Member): void {
    if (member.gone || member.dropping) return;
    member.dropping = true;
    const { maxQueueBytes } = member.listener.options;
    const why = `too slow (${member.session.bufferedBytes} bytes queued, limit ${maxQueueBytes})`;
    this.counts.disconnects.slow!++;
    // Leave now, not when the socket finally closes: a frozen peer may take the whole linger.
    this.remove(member, why);
    member.session.close(notice(`disconnected: ${why}`), why);
  }
}

const HISTORY_MARK = Buffer.from(HISTORY_PREFIX);

/**
 * A room's lines are written out mid-turn once they reach this size. 64 KiB is one socket read's
 * worth: batching more buys no fewer syscalls, and joined buffers stay below malloc's mmap
 * threshold (128 KiB), where glibc would otherwise keep freed memory in the process.
 */
const DELIVER_EARLY_BYTES = 64 * 1024;
