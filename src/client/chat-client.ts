import { NOTICE_PREFIX, parseSelfNotice } from '../hub/protocol.js';
import type { Client } from './client.js';

/** How long to hold typed lines for the server's greeting before sending them anyway. @default 3000 */
export const DEFAULT_GREETING_TIMEOUT_MS = 3_000;
/** Lines held while waiting for the greeting (e.g. typed during a reconnect); more are refused. */
export const CHAT_OUTBOX_LIMIT = 100;

export interface ChatSessionOptions {
  /** The nick to ask for once greeted (and again after every reconnect). */
  nick?: string | undefined;
  /** Give up waiting for the greeting after this long and send held lines as they are. @default 3000 */
  greetingTimeoutMs?: number;
  /** Something the user should know that did not come from the server. */
  onNotice?: (text: string) => void;
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

  constructor(
    private readonly client: Client,
    private readonly options: ChatSessionOptions = {},
  ) {
    this.nick = options.nick;
    this.greetingTimeoutMs = options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS;
    client.on('disconnect', () => {
      this.greeted = false;
      clearTimeout(this.timer);
    });
    client.on('reconnect', () => this.awaitGreeting());
    client.on('close', () => {
      clearTimeout(this.timer);
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
    if (this.greeted) {
      this.client.send(line);
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

  /** Call with every line from the server, before showing it. */
  receive(line: string): void {
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
    if (this.nick !== undefined && this.nick !== assigned) this.client.send(`/nick ${this.nick}`);
    else this.nick = assigned;
    if (this.room !== undefined && this.room !== room) this.client.send(`/join ${this.room}`);
    else this.room = room;
    this.open();
  }

  private awaitGreeting(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.greeted) return;
      this.options.onNotice?.(
        `* no chat greeting from ${this.client.url} within ${this.greetingTimeoutMs} ms; ` +
          `is it a chat listener? sending anyway`,
      );
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
    for (const line of held) this.client.send(line);
    this.release();
  }

  private release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
