/**
 * Taking your nick back after a reconnect (docs/chat.md "Resume"). The server may still hold it for
 * a while for the connection that was lost: on a Redis backplane a dead node's nicks stay claimed
 * until their lease runs out (`nickTtl`, 30 s), and its members stay in other nodes' `/who` until
 * the node is taken for dead (`presence`, 15 s). Rather than settle for another nick, the client
 * says so once, stays the guest it was given meanwhile, and asks again every few seconds; the
 * answers to those background asks are not shown. Shared by `switchboard chat` and the web page:
 * no Node, no DOM.
 */
import { parseSelfNotice } from '../hub/protocol.js';
import { nickTaken } from '../hub/protocol.js';

/** How often to ask again for a nick the server still holds. @default 5000 */
export const NICK_RECLAIM_INTERVAL_MS = 5_000;
/** Stop asking after this long (the user can still `/nick NAME`). @default 120000 */
export const NICK_RECLAIM_GIVE_UP_MS = 120_000;

export interface NickReclaimOptions {
  /** Send a command to the server. */
  send(line: string): void;
  /** Tell the user something (once when the nick is held, once when giving up). */
  tell(text: string): void;
  intervalMs?: number;
  giveUpMs?: number;
  now?: () => number;
}

export class NickReclaim {
  private nick: string | undefined;
  private since = 0;
  private told = false;
  /** Answers still due to asks made in the background: they are not shown. */
  private quietAnswers = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly intervalMs: number;
  private readonly giveUpMs: number;
  private readonly now: () => number;

  constructor(private readonly options: NickReclaimOptions) {
    this.intervalMs = options.intervalMs ?? NICK_RECLAIM_INTERVAL_MS;
    this.giveUpMs = options.giveUpMs ?? NICK_RECLAIM_GIVE_UP_MS;
    this.now = options.now ?? Date.now;
  }

  /** Ask for `nick` now, and again while the server says it is taken. */
  start(nick: string): void {
    this.stop();
    this.nick = nick;
    this.since = this.now();
    this.told = false;
    this.options.send(`/nick ${nick}`);
  }

  /** A notice from the server (without `* `): true when it answers a background ask (not to be shown). */
  onNotice(text: string): boolean {
    const nick = this.nick;
    if (nick === undefined) return false;
    const taken = nickTaken(text);
    if (taken === undefined || taken.toLowerCase() !== nick.toLowerCase()) {
      // Renamed (to it, or to another one the user chose): nothing more to ask for.
      if (parseSelfNotice(text)?.kind === 'renamed') this.stop();
      return false;
    }
    const quiet = this.quietAnswers > 0;
    if (quiet) this.quietAnswers--;
    if (this.timer !== undefined) return quiet;
    if (this.now() - this.since + this.intervalMs > this.giveUpMs) {
      this.options.tell(`nick ${nick} is still taken; no longer asking for it (/nick ${nick} to try again)`);
      this.stop();
      return quiet;
    }
    if (!this.told) {
      this.told = true;
      this.options.tell(
        `nick ${nick} is still held for your previous connection; asking for it again every ` +
          `${this.intervalMs / 1000} s (for up to ${Math.round(this.giveUpMs / 60_000)} min)`,
      );
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.quietAnswers++;
      this.options.send(`/nick ${nick}`);
    }, this.intervalMs);
    return quiet;
  }

  /** No more asking (the user chose a nick, the connection dropped, the client closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nick = undefined;
    this.quietAnswers = 0;
  }
}
