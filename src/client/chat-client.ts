import { NOTICE_PREFIX, parseSelfNotice } from '../hub/protocol.js';
import type { Client } from './client.js';
import { NickReclaim } from './nick-reclaim.js';
import { ResumeTracker } from './resume.js';

/** How long to hold typed lines for the server's greeting before sending them anyway. @default 3000 */
export const DEFAULT_GREETING_TIMEOUT_MS = 3_000;
/** Lines held while waiting for the greeting (e.g. typed during a reconnect); more are refused. */
export const CHAT_OUTBOX_LIMIT = 100;
/** How long to wait for the server's `recovered` notice after `/resume`. @default 10000 */
export const DEFAULT_RESUME_TIMEOUT_MS = 10_000;

export interface ChatSessionOptions {
  /** The nick to ask for once greeted (and again after every reconnect). */
  nick?: string | undefined;
  /** Give up waiting for the greeting after this long and send held lines as they are. @default 3000 */
  greetingTimeoutMs?: number;
  /** Something the user should know that did not come from the server. */
  onNotice?: (text: string) => void;
  /**
   * Where the server's lines go to be shown: each once, in order, without `@seq=…` tags. Called
   * from `receive()`, and later for lines held during a resume that got no answer.
   */
  show?: (line: string) => void;
  /**
   * Resume after a reconnect (DESIGN §6, docs/chat.md "Resume"): number the room's lines with
   * `/seq on`, and once back, take the nick again and `/resume` the room from the last line shown;
   * every line is shown once, in order, and the gaps the server cannot fill are shown as it names
   * them. @default false
   */
  resume?: boolean;
  /** Give up waiting for the answer to `/resume` after this long. @default 10000 */
  resumeTimeoutMs?: number;
}

/**
 * The client side of the chat protocol (DESIGN §6) over a line-framed `Client`. It follows what
 * the server says about us (the greeting, renames, joins, parts), so that after a greeting it asks
 * for the nick and room we want: the one given with `--nick`, or, after a reconnect, the ones we had.
 *
 * Lines the user sends are held until that greeting has been answered with `/nick` and `/join`:
 * the server handles one connection's lines in order, so nothing typed early goes out under the
 * guest nick or into the lobby by mistake.
 */
export class ChatSession {
  /** Our nick as far as the server has told us (or the one we will ask for). */
  nick: string | undefined;
  /** Our room as far as the server has told us; undefined after /part. */
  room: string | undefined;
  private greeted = false;
  private outbox: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly greetingTimeoutMs: number;
  /** Set with `resume`: follows the numbers, holds and releases lines. */
  private readonly tracker: ResumeTracker | undefined;
  private readonly reclaim: NickReclaim;
  private everGreeted = false;
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: ChatSessionOptions = {},
  ) {
    this.nick = options.nick;
    this.greetingTimeoutMs = options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS;
    this.tracker = options.resume === true ? new ResumeTracker() : undefined;
    this.reclaim = new NickReclaim({
      send: (line) => this.sendOwn(line),
      tell: (text) => this.options.onNotice?.(`${NOTICE_PREFIX}${text}`),
    });
    client.on('disconnect', () => {
      this.greeted = false;
      clearTimeout(this.timer);
      clearTimeout(this.resumeTimer);
      this.reclaim.stop();
      this.tracker?.disconnected();
    });
    client.on('reconnect', () => this.awaitGreeting());
    client.on('close', () => {
      clearTimeout(this.timer);
      clearTimeout(this.resumeTimer);
      this.reclaim.stop();
      this.outbox = [];
      this.release();
    });
    this.awaitGreeting();
  }

  /**
   * Send a line as typed, or hold it until the greeting has been answered.
   * @throws Error when too many lines are already held (the server is not answering).
   */
  send(line: string): void {
    // The user chose a nick: the one asked for after a reconnect is not wanted any more.
    if (/^\/nick\s/i.test(line)) this.reclaim.stop();
    if (this.greeted) {
      this.transmit(line);
      return;
    }
    if (this.outbox.length >= CHAT_OUTBOX_LIMIT) {
      throw new Error(`${CHAT_OUTBOX_LIMIT} lines already waiting for ${this.client.url} to answer`);
    }
    this.outbox.push(line);
  }

  /** Resolves once nothing is held any more (sent, or dropped because the client closed). */
  flushed(): Promise<void> {
    if (this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Call with every line from the server: what is to be shown goes to `show`. */
  receive(line: string): void {
    const isNotice = line.startsWith(NOTICE_PREFIX);
    if (isNotice && this.reclaim.onNotice(line.slice(NOTICE_PREFIX.length))) return;
    if (this.tracker === undefined) {
      this.follow(line);
      this.options.show?.(line);
      return;
    }
    const step = this.tracker.receive(line);
    for (const command of step.send) {
      this.sendOwn(command);
      this.armResumeTimer();
    }
    if (!this.tracker.isRecovering) clearTimeout(this.resumeTimer);
    for (const shown of step.show) this.options.show?.(shown);
    // After showing it: the greeting's answers (`/nick`, `/resume`) are sent from here.
    this.follow(line);
  }

  /** What the server says about us: the nick and room to ask for again after a reconnect. */
  private follow(line: string): void {
    if (!line.startsWith(NOTICE_PREFIX)) return;
    const self = parseSelfNotice(line.slice(NOTICE_PREFIX.length));
    switch (self?.kind) {
      case 'welcome':
        return this.onWelcome(self.nick, self.room);
      case 'renamed':
        this.nick = self.nick;
        return;
      case 'joined':
        this.room = self.room;
        return;
      case 'left':
        this.room = undefined;
        return;
    }
  }

  private onWelcome(assigned: string, room: string): void {
    const reconnected = this.everGreeted;
    this.everGreeted = true;
    // A guest-N nick was given, not chosen: the server gives out another and none can be asked for.
    if (this.nick !== undefined && this.nick !== assigned && !/^guest-\d+$/i.test(this.nick)) {
      // After a reconnect the server may still hold our nick for the lost connection: keep asking.
      if (reconnected && this.tracker !== undefined) this.reclaim.start(this.nick);
      else this.client.send(`/nick ${this.nick}`);
    } else {
      this.nick = assigned;
    }
    const resume = this.tracker?.resumeCommand();
    if (resume !== undefined) {
      // It joins the room as well: the server answers with the lines missed, then `recovered`.
      this.client.send(resume);
      this.armResumeTimer();
    } else {
      if (this.room !== undefined && this.room !== room) this.client.send(`/join ${this.room}`);
      else this.room = room;
      if (this.tracker !== undefined) this.client.send(this.tracker.seqOn());
    }
    this.open();
  }

  private armResumeTimer(): void {
    clearTimeout(this.resumeTimer);
    const timeoutMs = this.options.resumeTimeoutMs ?? DEFAULT_RESUME_TIMEOUT_MS;
    this.resumeTimer = setTimeout(() => {
      if (this.tracker?.isRecovering !== true) return;
      this.options.onNotice?.(
        `* no resume from ${this.client.url} within ${timeoutMs} ms; ` +
          `showing lines as they come (some may be missing)`,
      );
      for (const line of this.tracker.abandon().show) this.options.show?.(line);
    }, timeoutMs);
    this.resumeTimer.unref();
  }

  /**
   * A command the session sends on its own, later than the greeting (a nick asked for again, the
   * rest of a recovery): by then the user may have quit, and the client takes nothing more.
   */
  private sendOwn(line: string): void {
    try {
      this.client.send(line);
    } catch {
      this.reclaim.stop();
    }
  }

  /** Send a line of the user's; a room line is remembered, to know it again in a recovery. */
  private transmit(line: string): void {
    this.client.send(line);
    this.tracker?.sent(line);
    // The user leaves: the server's close that follows is the end, not a loss to reconnect from.
    if (/^\/quit(\s|$)/i.test(line)) void this.client.end().catch(() => undefined);
  }

  private awaitGreeting(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.greeted) return;
      this.options.onNotice?.(
        `* no chat greeting from ${this.client.url} within ${this.greetingTimeoutMs} ms; ` +
          `is it a chat listener? sending anyway`,
      );
      // A late greeting still gets its /resume; none at all, and the resume is given up on in time.
      if (this.tracker?.isRecovering === true) this.armResumeTimer();
      this.open();
    }, this.greetingTimeoutMs);
    this.timer.unref();
  }

  private open(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.greeted = true;
    const held = this.outbox;
    this.outbox = [];
    for (const line of held) this.transmit(line);
    this.release();
  }

  private release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
