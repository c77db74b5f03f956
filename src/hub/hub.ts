import type {
  BackplaneEvents,
  HubBackplane,
  NickOwner,
  NodeMessage,
  RoomLine,
  SequencedLine,
} from '../backplane/backplane.js';
import { MemoryBackplane } from '../backplane/memory.js';
import { RoomLog } from '../backplane/room-log.js';
import type { Codec } from '../framing/codec.js';
import type { CloseReason, Session } from '../services/service.js';
import type { ChatContext } from './commands/context.js';
import { runCommand } from './commands/index.js';
import { foreignProtocolOfFirstLine } from './foreign-protocol.js';
import { ChatListener } from './listener.js';
import { Member } from './member.js';
import { isValidNick, nickKey, nickRefusal } from './nick.js';
import { LOBBY, logLength, type ChatOptions } from './options.js';
import {
  cannotJoinText,
  END_OF_HISTORY_TEXT,
  historyText,
  joinedRoom,
  joinedText,
  nickTakenText,
  partialRecoveryText,
  SEQ_OFF_TEXT,
  seqOnText,
  leftFor,
  leftRoom,
  leftText,
  notice,
  plural,
  privateEcho,
  positionText,
  privateFrom,
  recoveredText,
  renamedIn,
  renamedText,
  roomText,
  seqTag,
  welcomeText,
  whoText,
  roomsText,
  HISTORY_PREFIX,
} from './protocol.js';
import { PublisherStalls, type StallStats } from './publisher-stalls.js';
import { RemotePresence } from './remote-presence.js';
import { renderingOf } from './rendering.js';
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
  /** Lines refused because the backplane could not sequence them (their senders were told). */
  notSent: number;
}

/**
 * Rooms, members and nicks, over any session the server accepts (DESIGN §6), on a backplane
 * (DESIGN §8) that orders, numbers and keeps each room's lines: the hub is directory, policy and
 * delivery. A member's line goes to the backplane as data and comes back, numbered, on every node
 * of the hub; each node renders it for its own members.
 *
 * Delivery: a room's lines of one event-loop turn are joined once and written to each member as
 * one buffer (RoomBatch); notices and private messages take their place in a member's outbox in
 * order. Flow control loses nothing: a member over the flood rate has its reading paused until its
 * next line is due (fake lag); a member whose socket stops taking data holds back the senders
 * feeding it, for a bounded time (PublisherStalls), and is cut with the reason only when what its
 * socket holds passes `maxQueue`; a line the backplane cannot sequence is refused to its sender.
 */
export class Hub implements ChatContext {
  private readonly members = new Map<Session, Member>();
  private readonly byId = new Map<number, Member>();
  private readonly nicks = new Map<string, Member>();
  private readonly rooms = new Map<string, Room>();
  /** The other nodes' members (an empty directory on the memory backplane). */
  private readonly remote = new RemotePresence();
  /** Members with something in their outbox. */
  private readonly dirty = new Set<Member>();
  /** Rooms with lines broadcast this turn. */
  private readonly dirtyRooms = new Set<Room>();
  private flushScheduled = false;
  /** The listener of a hub built for one listener (`new Hub(options)`, then `open(session)`). */
  private readonly ownListener: ChatListener;
  private readonly stalls = new PublisherStalls((m) => m.listener.options);
  private readonly counts: {
    floodDelays: number;
    deliveries: number;
    notSent: number;
    disconnects: Record<string, number>;
  } = {
    floodDelays: 0,
    deliveries: 0,
    notSent: 0,
    disconnects: { slow: 0, foreign: 0, quit: 0 },
  };
  private presenceTimer: NodeJS.Timeout | undefined;
  /** Resolves once the backplane is connected and the lobby's history is known. */
  readonly ready: Promise<void>;
  readonly backplane: HubBackplane;

  /** `options.history` and `options.announceLimit` are the hub's; the rest are per listener. */
  constructor(
    readonly options: ChatOptions,
    backplane?: HubBackplane,
  ) {
    this.backplane = backplane ?? new MemoryBackplane().hub();
    this.ownListener = new ChatListener(options);
    this.ready = this.backplane.open(this.events).then(() => {
      this.startPresence();
      return this.roomFor(LOBBY).loading;
    });
    // The lobby exists from the start (and is never dropped); with the memory backplane at once.
    this.roomFor(LOBBY);
  }

  get memberCount(): number {
    return this.members.size;
  }

  get stats(): HubStats {
    return { ...this.stalls.stats, ...this.counts, disconnects: { ...this.counts.disconnects } };
  }

  /** Rooms that exist now on this node, the lobby included. */
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
    const member = new Member(session, '', listener);
    this.members.set(session, member);
    this.byId.set(member.id, member);
    void this.admitGuest(member);
  }

  /**
   * One line from a member. DESIGN §6, nothing a member sent is dropped: over the flood rate, the
   * line waits its turn — the promise pauses reading from this member only, and its later lines
   * queue behind this one in order. The same holds while the member waits on the backplane.
   */
  message(session: Session, raw: Buffer): void | Promise<void> {
    const member = this.members.get(session);
    if (member === undefined || member.gone) return;
    if (member.busy !== undefined) {
      const kept = Buffer.from(raw); // the read buffer is not ours past this call
      return member.busy.then(() => this.message(session, kept));
    }
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
          void Promise.resolve(this.handleLine(member, raw)).then(resolve, reject);
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
    this.byId.delete(member.id);
    if (member.nick !== '') {
      const key = nickKey(member.nick);
      if (this.nicks.get(key) === member) this.nicks.delete(key);
      this.backplane.releaseNick(key, this.ownerOf(member));
    }
    this.dirty.delete(member);
    this.stalls.forget(member);
    member.gone = true;
    member.clearOutbox();
    // Members leaving with their listener's shutdown leave quietly: no 10,000 leave notices.
    const quiet = !announce || member.listener.closing;
    this.leaveRoom(member, quiet ? undefined : leftRoom(member.nick, why));
    if (member.nick !== '') {
      this.tellNodes({
        type: 'gone',
        node: this.backplane.node,
        member: member.id,
        ...(quiet ? {} : { why }),
      });
    }
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

  /** The last listener is gone: leave the other nodes and stop the presence timer. */
  async stop(): Promise<void> {
    if (this.presenceTimer !== undefined) clearInterval(this.presenceTimer);
    this.presenceTimer = undefined;
    await this.backplane.close();
  }

  // ---- operations, used by the commands ----------------------------------------------------

  say(member: Member, text: string): void | Promise<void> {
    const room = this.requireRoom(member);
    if (room !== undefined) return this.relay(room, member, 'say', text);
  }

  /**
   * `/me waves` reaches the room as `<alice> * waves`: it starts with its author like any line, so
   * it can never read like a server notice (`* alice left …`) to an nc user (issue 13).
   */
  action(member: Member, text: string): void | Promise<void> {
    const room = this.requireRoom(member);
    if (room !== undefined) return this.relay(room, member, 'action', text);
  }

  rename(member: Member, wanted: string): void | Promise<void> {
    const refusal = nickRefusal(wanted);
    if (refusal !== undefined) {
      const shown = isValidNick(wanted) ? wanted : `'${wanted}'`; // a name with spaces reads as one
      return this.notice(member, `nick ${shown} is ${refusal}`);
    }
    const key = nickKey(wanted);
    const holder = this.nicks.get(key);
    if ((holder !== undefined && holder !== member) || (holder === undefined && this.remote.byNickKey(key))) {
      return this.notice(member, nickTakenText(wanted));
    }
    // Only the case changes (alice -> Alice): the member holds the key already.
    const claim = holder === member ? true : this.claimFor(member, key);
    return this.whenDone(
      member,
      claim,
      (ok) => (ok ? this.applyRename(member, wanted) : this.notice(member, nickTakenText(wanted))),
      (err) => this.notice(member, `nick ${wanted} not set: ${err.message}; try again in a moment`),
    );
  }

  join(member: Member, name: string): void | Promise<void> {
    if (member.room?.name === name) return this.notice(member, `you are already in ${name}`);
    const was = member.room?.name;
    this.leaveRoom(member, leftFor(member.nick, name));
    return this.enterRoom(member, name, was, (size, room) => {
      this.notice(member, joinedText(name, size));
      this.replayHistory(member, room);
    });
  }

  /**
   * `/seq on`: room lines come tagged with their numbers (`@seq=42;epoch=9f3a01c2 <alice> hi`), so
   * the client can resume from the last one it saw (DESIGN §6). Plain members never see tags.
   */
  sequenceNumbers(member: Member, on: boolean): void {
    if (member.rendering.tagged !== on) this.setTagged(member, on);
    if (!on) return this.notice(member, SEQ_OFF_TEXT);
    const room = member.room;
    const where = room?.log === undefined ? undefined : positionText(room.name, room.log.epoch, room.log.top);
    this.notice(member, seqOnText(where));
  }

  /**
   * `/resume ROOM EPOCH SEQ`: (re)join ROOM and get exactly the lines after SEQ of EPOCH from its
   * log, then `recovered N lines in ROOM` — or a notice naming the gap that cannot be filled. The
   * member's lines are tagged from then on. Already in ROOM (the lobby after a reconnect), it stays.
   */
  resume(member: Member, name: string, epoch: string, seq: number): void | Promise<void> {
    if (!member.rendering.tagged) this.setTagged(member, true);
    const room = member.room;
    if (room?.name === name) return this.recover(member, room, epoch, seq);
    const was = room?.name;
    this.leaveRoom(member, leftFor(member.nick, name));
    return this.enterRoom(member, name, was, (size, entered) => {
      this.notice(member, joinedText(name, size));
      this.recover(member, entered, epoch, seq);
    });
  }

  part(member: Member): void {
    const room = this.requireRoom(member);
    if (room === undefined) return;
    this.leaveRoom(member, leftRoom(member.nick));
    this.notice(member, leftText(room.name));
    this.tellMember(member, member.nick, room.name);
  }

  privateMessage(member: Member, target: string, text: string): void | Promise<void> {
    const key = nickKey(target);
    const recipient = this.nicks.get(key);
    if (recipient !== undefined) {
      this.send(recipient, this.encode(recipient.session.codec, privateFrom(member.nick, text)));
      this.send(member, this.encode(member.session.codec, privateEcho(recipient.nick, text)));
      return;
    }
    const remote = this.remote.byNickKey(key);
    if (remote === undefined) return this.notice(member, `no such nick: ${target}`);
    const sent = this.backplane.broadcast({
      type: 'private',
      node: this.backplane.node,
      to: { node: remote.node, member: remote.member },
      from: member.nick,
      text,
    });
    return this.whenDone(
      member,
      sent,
      () => this.send(member, this.encode(member.session.codec, privateEcho(remote.nick, text))),
      (err) => this.notice(member, `message to ${remote.nick} not sent: ${err.message}`),
    );
  }

  who(member: Member): void {
    const room = this.requireRoom(member);
    if (room === undefined) return;
    const names: string[] = [];
    for (const m of room.members) {
      if (names.length === WHO_LIST_LIMIT) break;
      names.push(m.nick);
    }
    for (const m of this.remote.inRoom(room.name)) {
      if (names.length === WHO_LIST_LIMIT) break;
      names.push(m.nick);
    }
    this.notice(member, whoText(room.name, names, this.roomSize(room)));
  }

  listRooms(member: Member): void {
    const sizes = this.remote.rooms();
    for (const r of this.rooms.values()) sizes.set(r.name, (sizes.get(r.name) ?? 0) + r.members.size);
    const listed: Array<[string, number]> = [];
    for (const entry of sizes) {
      // As /who: one line, bounded, however many rooms 10,000 members have made.
      if (listed.length === ROOMS_LIST_LIMIT) break;
      listed.push(entry);
    }
    this.notice(member, roomsText(listed, sizes.size));
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

  private handleLine(member: Member, raw: Buffer): void | Promise<void> {
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
    return this.say(member, text);
  }

  /**
   * A member's line to the backplane, which numbers it and hands it back to every node (here in
   * `deliverLine`). A line it cannot number is refused to its sender, never lost in silence; while
   * many lines wait for their numbers, the sender's next line waits for this one.
   */
  private relay(room: Room, from: Member, kind: RoomLine['kind'], text: string): void | Promise<void> {
    const line: RoomLine = { kind, nick: from.nick, text, node: this.backplane.node, member: from.id };
    let sent: void | Promise<void>;
    try {
      sent = this.backplane.publish(room.name, line);
    } catch (err) {
      return this.notSent(from, text, asError(err));
    }
    if (sent === undefined) return;
    const settled = sent.catch((err: unknown) => this.notSent(from, text, asError(err)));
    if (this.backplane.congested) return settled;
  }

  private notSent(member: Member, text: string, err: Error): void {
    this.counts.notSent++;
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    this.notice(member, `not sent: "${shown}" reached nobody (${err.message}); send it again`);
  }

  // ---- lines out, as the backplane numbers them -----------------------------------------------

  private readonly events: BackplaneEvents = {
    line: (room, line) => this.deliverLine(room, line),
    epoch: (name, epoch, detail) => {
      const room = this.rooms.get(name);
      room?.log?.restart(epoch);
      if (room !== undefined) this.broadcast(room, notice(`${name}: ${detail}; numbering starts again`));
    },
    lost: (name, detail) => {
      const room = this.rooms.get(name);
      if (room !== undefined) this.broadcast(room, notice(`${name}: ${detail}`));
    },
    node: (message) => this.onNodeMessage(message),
    nickLost: (key, owner) => this.nickLost(key, owner),
    state: (up) => {
      // Back after an outage: the other nodes may have dropped this one, and it them.
      if (up && this.backplane.shared) this.greetNodes();
    },
  };

  /** A numbered line from the backplane: kept in the room's log, written to its local members. */
  private deliverLine(name: string, line: SequencedLine): void {
    const room = this.rooms.get(name);
    if (room?.log === undefined) return;
    room.log.add(line);
    let from = line.node === this.backplane.node ? this.byId.get(line.member) : undefined;
    if (from !== undefined && from.room !== room) from = undefined;
    this.broadcast(room, line, from);
    // A turn that gathers a lot is written out now rather than at its end: memory follows what
    // sockets refuse, not what one turn read (issue 13, a burst inside the limits).
    if (this.batchBytes(room) >= DELIVER_EARLY_BYTES) this.deliverRoomNow(room);
  }

  // ---- rooms -------------------------------------------------------------------------------

  private requireRoom(member: Member): Room | undefined {
    if (member.room === undefined) this.notice(member, 'you are not in a room; /join ROOM first');
    return member.room;
  }

  /** Members of the room on every node. */
  private roomSize(room: Room): number {
    return room.members.size + this.remote.inRoom(room.name).size;
  }

  private announces(room: Room): boolean {
    // Issue #3: in a big room, joins and leaves are not announced (10,000 idle members must not cost 10,000² notices).
    return this.roomSize(room) <= this.options.announceLimit;
  }

  /** The room as this node holds it, made and watched on the backplane if new. */
  private roomFor(name: string): Room {
    let room = this.rooms.get(name);
    if (room !== undefined) return room;
    const made = new Room(name);
    this.rooms.set(name, made);
    const snapshot = this.backplane.watch(name);
    if (!(snapshot instanceof Promise)) {
      made.log = new RoomLog(logLength(this.options), snapshot, this.options.recoverBytes);
      return made;
    }
    made.loading = snapshot.then(
      (s) => {
        made.log = new RoomLog(logLength(this.options), s, this.options.recoverBytes);
        made.loading = undefined;
      },
      (err: unknown) => {
        made.loading = undefined;
        // Not carried: forget it, so the next join asks the backplane again.
        if (this.rooms.get(name) === made && made.members.size === 0) {
          this.rooms.delete(name);
          this.backplane.unwatch(name);
        }
        throw asError(err);
      },
    );
    room = made;
    return room;
  }

  /** `greet` tells the member it arrived and replays what it should see (history, or recovery). */
  private enterRoom(
    member: Member,
    name: string,
    was: string | undefined,
    greet: (size: number, room: Room) => void,
  ): void | Promise<void> {
    const room = this.roomFor(name);
    if (room.loading === undefined) return this.enterLoaded(member, room, was, greet);
    return this.whenDone(
      member,
      room.loading,
      () => this.enterLoaded(member, room, was, greet),
      (err) => this.notice(member, cannotJoinText(name, err.message)),
    );
  }

  private enterLoaded(
    member: Member,
    room: Room,
    was: string | undefined,
    greet: (size: number, room: Room) => void,
  ): void {
    if (this.rooms.get(room.name) !== room) {
      // Dropped while its history loaded (every member left): carry it again.
      return void this.enterRoom(member, room.name, was, greet);
    }
    if (this.announces(room)) this.broadcast(room, notice(joinedRoom(member.nick, room.name)), member);
    room.add(member);
    member.room = room;
    member.standAtEnd();
    greet(this.roomSize(room), room);
    this.tellMember(member, member.nick, was, true);
  }

  /**
   * Replay the lines after `seq` of `epoch` (DESIGN §6, resume), at most `recover` of them and only
   * what fits half the member's queue (like history) — the member is told where to resume from if
   * that is not all. A gap that cannot be filled is named, never skipped in silence.
   */
  private recover(member: Member, room: Room, epoch: string, seq: number): void {
    const log = room.log!;
    const cap = this.options.recover;
    let from = seq;
    let gap: string | undefined;
    if (epoch !== log.epoch) {
      gap = `epoch ${epoch} is gone (the room's history was lost); it is now epoch ${log.epoch} at line ${log.top}, and what was said after your line ${seq} is lost`;
      from = Math.max(0, log.top - Math.min(cap, this.options.history));
    } else if (seq > log.top) {
      // The client is ahead of this node: it saw lines this node has not delivered yet (it comes
      // from another node that was a moment ahead). Numbers are never given twice (a tail Redis
      // lost is skipped, see backplane/redis.ts), so it misses nothing by waiting for them — and
      // should every node have restarted after Redis lost that tail, the room's number is raised
      // past what the client saw, so no line it is waiting for is taken for one it has.
      this.backplane.raise(room.name, epoch, seq);
      return this.notice(member, recoveredText(0, room.name, log.epoch, seq));
    } else if (seq < log.oldest - 1 || log.top - seq > cap) {
      const keptFrom = Math.max(log.oldest, log.top - cap + 1);
      gap = `lines ${seq + 1}-${keptFrom - 1} are no longer kept (the last ${plural(log.top - keptFrom + 1, 'line')} are)`;
      from = keptFrom - 1;
    }
    const lines = log.after(log.epoch, from) ?? [];
    const budget = Math.floor(member.listener.options.maxQueueBytes / 2);
    const { codec } = member.rendering;
    let bytes = 0;
    let sent = 0;
    for (const line of lines) {
      const frame = this.encode(codec, seqTag(line.epoch, line.seq) + roomText(line));
      if (bytes + frame.length > budget) break;
      bytes += frame.length;
      this.send(member, frame);
      sent++;
    }
    if (gap !== undefined) this.notice(member, `cannot recover ${room.name}: ${gap}`);
    const rest = lines.length - sent;
    const at = lines[sent - 1]?.seq ?? from;
    this.notice(
      member,
      rest === 0
        ? recoveredText(sent, room.name, log.epoch, log.top)
        : partialRecoveryText(sent, room.name, log.epoch, at, rest),
    );
  }

  /** Move a member to the tagged (or plain) rendering of its room, keeping its place in line. */
  private setTagged(member: Member, tagged: boolean): void {
    const room = member.room;
    if (room !== undefined) {
      member.takeRun();
      room.delete(member);
    }
    member.rendering = renderingOf(member.session.codec, tagged);
    if (room !== undefined) {
      room.add(member);
      member.standAtEnd();
    }
  }

  /**
   * Issue 13: the replay must fit the joiner's queue, or a room's history would cut every newcomer.
   * The newest lines that fit in half of `maxQueue` are sent, and the member is told if that is not all.
   */
  private replayHistory(member: Member, room: Room): void {
    const log = room.log!;
    if (member.rendering.tagged) this.notice(member, positionText(room.name, log.epoch, log.top));
    const history = log.last(this.options.history);
    if (history.length === 0) return;
    const budget = Math.floor(member.listener.options.maxQueueBytes / 2);
    const { codec, tagged } = member.rendering;
    const frames: string[] = [];
    let bytes = 0;
    for (let i = history.length - 1; i >= 0; i--) {
      const line = history[i]!;
      const text = `${tagged ? seqTag(line.epoch, line.seq) : ''}${HISTORY_PREFIX}${roomText(line)}`;
      // The frame's size: the line and a framing's worst overhead (a 4-byte length).
      const size = Buffer.byteLength(text, 'utf8') + 4;
      if (bytes + size > budget) break;
      bytes += size;
      frames.push(text);
    }
    this.notice(member, historyText(frames.length, room.name, history.length - frames.length));
    for (let i = frames.length - 1; i >= 0; i--) this.send(member, this.encode(codec, frames[i]!));
    this.notice(member, END_OF_HISTORY_TEXT);
  }

  private leaveRoom(member: Member, announcement: string | undefined): void {
    const room = member.room;
    if (room === undefined) return;
    // What the room said before the member left is still its to receive.
    if (!member.gone) member.takeRun();
    room.delete(member);
    member.room = undefined;
    if (announcement !== undefined && this.announces(room)) this.broadcast(room, notice(announcement));
    // Empty rooms other than the lobby go away on this node: nothing grows without members.
    if (room.members.size === 0 && room.name !== LOBBY && room.loading === undefined) {
      this.rooms.delete(room.name);
      this.backplane.unwatch(room.name);
    }
  }

  /**
   * Encode once per rendering in the room and add the frame to the room's batch for this turn; no
   * member is touched, except the sender, whose run of the batch skips its own line.
   */
  private broadcast(room: Room, item: string | SequencedLine, from?: Member): void {
    // DESIGN §9: one add per line, not per member; the sender does not get its own line back.
    const sender = from !== undefined && from.room === room ? from : undefined;
    this.counts.deliveries += room.members.size - (sender !== undefined ? 1 : 0);
    let plain: string | undefined;
    for (const rendering of room.renderings.keys()) {
      const batch = room.openBatch(rendering);
      if (sender !== undefined && sender.rendering === rendering) {
        sender.takeRun(batch.length, batch.length + 1);
      }
      let text: string;
      if (typeof item === 'string') {
        text = item;
      } else {
        plain ??= roomText(item);
        text = rendering.tagged ? seqTag(item.epoch, item.seq) + plain : plain;
      }
      batch.add(this.encode(rendering.codec, text), from);
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

  // ---- nicks and guests ----------------------------------------------------------------------

  private ownerOf(member: Member): NickOwner {
    return { node: this.backplane.node, member: member.id };
  }

  /** Claim a nick for a member; a claim that succeeds after the member left is given back. */
  private claimFor(member: Member, key: string): boolean | Promise<boolean> {
    const claim = this.backplane.claimNick(key, this.ownerOf(member));
    if (!(claim instanceof Promise)) return claim;
    return claim.then((ok) => {
      if (ok && member.gone) this.backplane.releaseNick(key, this.ownerOf(member));
      return ok;
    });
  }

  /** A new member gets the next free `guest-N`, unique across the hub's nodes, then the lobby. */
  private admitGuest(member: Member): void | Promise<void> {
    return this.withGuestNick(member, (nick) => void this.admit(member, nick));
  }

  /** The next free `guest-N`, unique across the hub's nodes, claimed for the member; then `then`. */
  private withGuestNick(member: Member, then: (nick: string) => void): void | Promise<void> {
    return this.whenDone(
      member,
      this.backplane.nextGuest(),
      (n) => {
        const nick = `guest-${n}`;
        const key = nickKey(nick);
        if (this.nicks.has(key) || this.remote.byNickKey(key) !== undefined)
          return void this.withGuestNick(member, then);
        void this.whenDone(
          member,
          this.claimFor(member, key),
          (ok) => (ok ? then(nick) : void this.withGuestNick(member, then)),
          (err) => this.unavailable(member, err),
        );
      },
      (err) => this.unavailable(member, err),
    );
  }

  private admit(member: Member, nick: string): void | Promise<void> {
    member.nick = nick;
    this.nicks.set(nickKey(nick), member);
    return this.enterRoom(member, LOBBY, undefined, (size, room) => {
      this.notice(member, welcomeText(nick, LOBBY, size));
      this.replayHistory(member, room);
    });
  }

  /**
   * A member's nick was taken on another node while the backplane was away (its claim lapsed): two
   * members must not share it, and the other one holds it in the backplane. Ours becomes the next
   * guest, told why; the room hears the rename as any other.
   */
  private nickLost(key: string, owner: NickOwner): void {
    const member = this.byId.get(owner.member);
    if (member === undefined || member.gone || nickKey(member.nick) !== key) return;
    if (this.nicks.get(key) === member) this.nicks.delete(key);
    const lost = member.nick;
    this.notice(
      member,
      `your nick ${lost} was taken on another node while the chat backplane was away; you get a guest name`,
    );
    void this.withGuestNick(member, (nick) => this.applyRename(member, nick));
  }

  /** No nick can be had (the backplane is down): say so and close, rather than half-admit. */
  private unavailable(member: Member, err: Error): void {
    const why = `chat unavailable: ${err.message}`;
    this.remove(member, why, false);
    member.session.close(notice(`${why}; try again in a moment`), why);
  }

  private applyRename(member: Member, wanted: string): void {
    const old = member.nick;
    const oldKey = nickKey(old);
    const key = nickKey(wanted);
    if (this.nicks.get(oldKey) === member) this.nicks.delete(oldKey);
    if (oldKey !== key) this.backplane.releaseNick(oldKey, this.ownerOf(member));
    this.nicks.set(key, member);
    member.nick = wanted;
    this.notice(member, renamedText(wanted));
    const room = member.room;
    if (room !== undefined && this.announces(room))
      this.broadcast(room, notice(renamedIn(old, wanted)), member);
    this.tellMember(member, old, room?.name);
  }

  /**
   * Run `then` with the value now, or once the promise settles — meanwhile the member's next line
   * waits (Member.busy). Nothing runs for a member that left in between.
   */
  private whenDone<T>(
    member: Member,
    value: T | Promise<T>,
    then: (value: T) => void,
    failed: (err: Error) => void,
  ): void | Promise<void> {
    if (!(value instanceof Promise)) return then(value);
    const done: Promise<void> = value
      .then(
        (v) => {
          if (!member.gone) then(v);
        },
        (err: unknown) => {
          if (!member.gone) failed(asError(err));
        },
      )
      .finally(() => {
        if (member.busy === done) member.busy = undefined;
      });
    member.busy = done;
    return done;
  }

  // ---- the other nodes ----------------------------------------------------------------------

  /** Presence goes to the other nodes only when there are any; a failed send is not retried. */
  private tellNodes(message: NodeMessage): void {
    if (!this.backplane.shared) return;
    const sent = this.backplane.broadcast(message);
    // A node that misses it corrects itself from the next snapshot (after an outage, hello).
    if (sent instanceof Promise) sent.catch(() => undefined);
  }

  /** A member arrived (`fresh`), moved or changed nick: the other nodes announce it to their rooms. */
  private tellMember(member: Member, wasNick: string, wasRoom: string | undefined, fresh = false): void {
    this.tellNodes({
      type: 'member',
      node: this.backplane.node,
      member: member.id,
      nick: member.nick,
      room: member.room?.name,
      ...(fresh && wasRoom === undefined ? {} : { was: { nick: wasNick, room: wasRoom } }),
    });
  }

  private snapshot(): NodeMessage {
    const members = [];
    for (const m of this.members.values()) {
      if (m.nick !== '') members.push({ member: m.id, nick: m.nick, room: m.room?.name });
    }
    return { type: 'snapshot', node: this.backplane.node, members };
  }

  /** Say hello (every node answers with its snapshot) and send ours. */
  private greetNodes(): void {
    this.tellNodes({ type: 'hello', node: this.backplane.node });
    this.tellNodes(this.snapshot());
  }

  private startPresence(): void {
    if (!this.backplane.shared) return;
    this.greetNodes();
    const timeout = this.backplane.presenceTimeoutMs;
    this.presenceTimer = setInterval(() => {
      this.tellNodes({ type: 'heartbeat', node: this.backplane.node });
      for (const node of this.remote.silentSince(performance.now() - timeout)) {
        for (const gone of this.remote.drop(node)) {
          const room = gone.room === undefined ? undefined : this.rooms.get(gone.room);
          if (room !== undefined && this.announces(room)) {
            this.broadcast(
              room,
              notice(leftRoom(gone.nick, `its node stopped answering for ${timeout / 1000} s`)),
            );
          }
        }
      }
    }, timeout / 3);
    this.presenceTimer.unref();
  }

  private onNodeMessage(message: NodeMessage): void {
    if (message.node === this.backplane.node) return;
    const now = performance.now();
    const introduces = message.type === 'hello' || message.type === 'snapshot' || message.type === 'bye';
    if (!introduces && !this.remote.knows(message.node)) {
      // A node this one had dropped (silent past the timeout) or never heard: ask every node for
      // its snapshot rather than keep a partial picture of it.
      this.tellNodes({ type: 'hello', node: this.backplane.node });
    }
    switch (message.type) {
      case 'hello':
        this.remote.seen(message.node, now);
        this.tellNodes(this.snapshot());
        return;
      case 'snapshot':
        this.remote.replace(message.node, message.members, now);
        return;
      case 'heartbeat':
        this.remote.seen(message.node, now);
        return;
      case 'bye':
        this.remote.drop(message.node);
        return;
      case 'gone': {
        const gone = this.remote.remove(message.node, message.member);
        this.remote.seen(message.node, now);
        if (gone?.room !== undefined && message.why !== undefined) {
          this.announceIn(gone.room, leftRoom(gone.nick, message.why));
        }
        return;
      }
      case 'member': {
        const { node, member, nick, room, was } = message;
        this.remote.set({ node, member, nick, room }, now);
        if (was === undefined) {
          if (room !== undefined) this.announceIn(room, joinedRoom(nick, room));
          return;
        }
        if (was.room !== room) {
          if (was.room !== undefined) {
            this.announceIn(was.room, room === undefined ? leftRoom(was.nick) : leftFor(was.nick, room));
          }
          if (room !== undefined) this.announceIn(room, joinedRoom(nick, room));
        } else if (was.nick !== nick && room !== undefined) {
          this.announceIn(room, renamedIn(was.nick, nick));
        }
        return;
      }
      case 'private': {
        if (message.to.node !== this.backplane.node) return;
        const to = this.byId.get(message.to.member);
        if (to !== undefined)
          this.send(to, this.encode(to.session.codec, privateFrom(message.from, message.text)));
        return;
      }
    }
  }

  private announceIn(name: string, text: string): void {
    const room = this.rooms.get(name);
    if (room?.log !== undefined && this.announces(room)) this.broadcast(room, notice(text));
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

/**
 * A room's lines are written out mid-turn once they reach this size. 64 KiB is one socket read's
 * worth: batching more buys no fewer syscalls, and joined buffers stay below malloc's mmap
 * threshold (128 KiB), where glibc would otherwise keep freed memory in the process.
 */
const DELIVER_EARLY_BYTES = 64 * 1024;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
