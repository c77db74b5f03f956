/**
 * The client half of resume (DESIGN §6, docs/chat.md "Resume"), shared by `switchboard chat
 * --reconnect` and the web page: it follows the numbers of the room lines (`@seq=N;epoch=E`), shows
 * each line once, and after a reconnect asks for exactly what was missed. Pure and synchronous — no
 * socket, no timer, no DOM, no Node — so the page bundles it and a test drives it line by line.
 *
 * The rules:
 * - A live room line is shown only if its number is above the last one shown in the same epoch; a
 *   line of another epoch starts the count again (the room's history was lost: the server says so).
 * - After a reconnect, until the `recovered` notice: the untagged history the greeting replays and
 *   any untagged room line are dropped (the recovery holds all of them), and tagged lines are held;
 *   `recovered N lines` then releases the last N held (the recovery itself), in order. Tagged lines
 *   held before those are live lines the recovery repeats (after a recovery that did not fit).
 * - Your own lines are never sent back to you live, but a recovery may hold them; the ones you sent
 *   on this page or terminal are recognised and not shown a second time.
 */
import {
  NOTICE_PREFIX,
  actionLine,
  isHistoryNotice,
  isSeqOff,
  moreToRecover,
  parseLine,
  parseSelfNotice,
  resumeRefused,
  roomLine,
  seqOnReply,
} from '../hub/protocol.js';

/** Where a room's numbering stood at the last line shown from it. */
export interface RoomPosition {
  readonly room: string;
  readonly epoch: string;
  readonly seq: number;
}

/** What one line from the server comes to. */
export interface ResumeStep {
  /** Lines to show, in order, without their `@seq=…` tags (none when the line was a duplicate). */
  readonly show: string[];
  /** Commands to send now: a `/resume` for the rest of a recovery that did not fit. */
  readonly send: string[];
}

/** Lines of your own remembered to recognise them in a recovery (the oldest are forgotten). */
export const OWN_LINES_KEPT = 200;

interface HeldLine {
  readonly epoch: string;
  readonly seq: number;
  /** The line without its tag: `<alice> hi`. */
  readonly text: string;
}

const NOTHING: ResumeStep = { show: [], send: [] };
const shown = (line: string): ResumeStep => ({ show: [line], send: [] });

export class ResumeTracker {
  private pos: { room: string; epoch: string; seq: number } | undefined;
  private room: string | undefined;
  private nick = '';
  private recovering = false;
  private held: HeldLine[] = [];
  /** `/seq on` sent by the client itself: its replies are not shown. */
  private seqOnAsked = 0;
  /** Room lines sent from here, as the room would carry them (`<alice> hi`), oldest first. */
  private own: string[] = [];

  /** The last line shown, if the room numbers its lines. */
  get position(): RoomPosition | undefined {
    return this.pos === undefined ? undefined : { ...this.pos };
  }

  /** Between a reconnect and the server's `recovered` notice. */
  get isRecovering(): boolean {
    return this.recovering;
  }

  /** The connection was lost: the next one will resume from the position, if there is one. */
  disconnected(): void {
    this.held = [];
    this.seqOnAsked = 0;
    this.recovering = this.pos !== undefined;
  }

  /**
   * After the greeting: `/resume ROOM EPOCH SEQ` to pick up where the last connection stopped — or
   * undefined when there is nothing to resume (the first connection; a room that had not numbered a
   * line), and the caller joins the room as before and sends `seqOn()`.
   */
  resumeCommand(): string | undefined {
    if (!this.recovering || this.pos === undefined) {
      this.recovering = false;
      this.held = [];
      return undefined;
    }
    return `/resume ${this.pos.room} ${this.pos.epoch} ${this.pos.seq}`;
  }

  /** The command that turns numbers on; its reply is read here, not shown. */
  seqOn(): string {
    this.seqOnAsked++;
    return '/seq on';
  }

  /** A line the user sent (commands are ignored, except `/me`): remembered to spot it in a recovery. */
  sent(line: string): void {
    let text: string;
    if (line.startsWith('/')) {
      const me = /^\/me\s+(.+)$/is.exec(line);
      if (me === null) return;
      text = actionLine(this.nick, me[1]!);
    } else {
      text = roomLine(this.nick, line);
    }
    this.own.push(text);
    if (this.own.length > OWN_LINES_KEPT) this.own.shift();
  }

  /** One line from the server. */
  receive(raw: string): ResumeStep {
    const line = parseLine(raw);
    if (line.kind === 'line') {
      if (line.seq === undefined) return this.recovering ? NOTHING : shown(raw);
      // The tag has no space in it: the line proper starts after the first one.
      const text = raw.slice(raw.indexOf(' ') + 1);
      if (this.recovering) {
        // A join's replay (tagged `[history]`) cannot belong to the recovery: dropped with the rest.
        if (!line.history) this.held.push({ epoch: line.seq.epoch, seq: line.seq.seq, text });
        return NOTHING;
      }
      if (line.history) return shown(text);
      return this.isNew(line.seq.epoch, line.seq.seq) ? shown(text) : NOTHING;
    }
    if (line.kind !== 'notice' || line.history) return shown(raw);
    return this.notice(line.text, raw);
  }

  /**
   * Stop waiting for `recovered` (no answer, or the server refused the resume): the held lines are
   * shown as live ones would be, once each.
   */
  abandon(): ResumeStep {
    if (!this.recovering) return NOTHING;
    this.recovering = false;
    const held = this.held;
    this.held = [];
    return { show: held.filter((h) => this.isNew(h.epoch, h.seq)).map((h) => h.text), send: [] };
  }

  private notice(text: string, raw: string): ResumeStep {
    const self = parseSelfNotice(text);
    switch (self?.kind) {
      case 'welcome':
        this.nick = self.nick;
        this.room = self.room;
        if (!this.recovering) this.pos = undefined;
        return shown(raw);
      case 'renamed':
        this.nick = self.nick;
        return shown(raw);
      case 'joined':
      case 'left':
        // While recovering, the join is the resume's own (`/resume` into another room).
        this.room = self.kind === 'joined' ? self.room : undefined;
        if (!this.recovering) this.pos = undefined;
        return shown(raw);
      case 'position':
        if (self.recovered !== undefined)
          return this.recovered(self.room, self.epoch, self.seq, self.recovered, raw);
        // On a join, before its history: where the numbers stand. The client's business, not shown.
        this.room = self.room;
        this.pos = { room: self.room, epoch: self.epoch, seq: self.seq };
        return NOTHING;
      case undefined:
        break;
    }
    const seqOn = seqOnReply(text);
    if (seqOn !== undefined) {
      const where = seqOn.position === undefined ? undefined : parseSelfNotice(seqOn.position);
      this.pos =
        where?.kind === 'position' ? { room: where.room, epoch: where.epoch, seq: where.seq } : undefined;
      if (this.seqOnAsked === 0) return shown(raw);
      this.seqOnAsked--;
      return NOTHING;
    }
    // `/seq off` typed by hand: no numbers to resume from any more (a reconnect rejoins instead).
    if (isSeqOff(text)) this.pos = undefined;
    if (this.recovering) {
      if (isHistoryNotice(text)) return NOTHING;
      if (resumeRefused(text)) return { show: [raw, ...this.abandon().show], send: [] };
    }
    // `ROOM: lines X-Y were lost by Redis …` needs nothing here: the number goes on above Y, never
    // given twice (backplane/redis.ts), so a line is still known by its number.
    return shown(raw);
  }

  /** `recovered N lines in ROOM; now at @seq=S;epoch=E`: the last N held lines are the recovery. */
  private recovered(room: string, epoch: string, seq: number, count: number, raw: string): ResumeStep {
    this.room = room;
    this.pos = epoch === '' ? undefined : { room, epoch, seq };
    if (!this.recovering) return shown(raw); // a /resume typed by hand: its lines were shown as they came
    const recovery = count === 0 ? [] : this.held.slice(-count);
    this.held = [];
    const show = recovery.filter((line) => !this.wasOwn(line.text)).map((line) => line.text);
    const more = moreToRecover(raw.slice(NOTICE_PREFIX.length));
    if (more !== undefined) {
      // Only part fitted the member's queue: ask for the rest (this notice is the client's business).
      return { show, send: [`/resume ${more.room} ${more.epoch} ${more.seq}`] };
    }
    this.recovering = false;
    this.own = [];
    return { show: [...show, raw], send: [] };
  }

  /** A live line: new if above the last number shown in this epoch (another epoch starts again). */
  private isNew(epoch: string, seq: number): boolean {
    if (this.room === undefined) return true;
    if (this.pos === undefined || this.pos.epoch !== epoch || this.pos.room !== this.room) {
      this.pos = { room: this.room, epoch, seq };
      return true;
    }
    if (seq <= this.pos.seq) return false;
    this.pos.seq = seq;
    return true;
  }

  private wasOwn(text: string): boolean {
    const i = this.own.indexOf(text);
    if (i === -1) return false;
    this.own.splice(i, 1);
    return true;
  }
}
