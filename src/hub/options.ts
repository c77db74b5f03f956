import type { ServiceParams } from '../services/service.js';
import { InvalidOptionError } from '../errors.js';
import { parseWholeNumber } from '../validate.js';

/** Lines a second a member may send before being refused. @default 20 */
export const DEFAULT_FLOOD_RATE = 20;
export const DEFAULT_FLOOD_BURST = 40;
export const DEFAULT_HISTORY = 50;
/** 1 MiB: what may wait for one member before it is disconnected as too slow. */
export const DEFAULT_MAX_QUEUE = 1024 * 1024;
/** 4 KiB: the longest chat line relayed; a longer one gets a notice and is not sent. */
export const DEFAULT_MAX_MESSAGE = 4 * 1024;
/**
 * 25 ms: the longest a sender is held back for one congested recipient. NATS 2.11 holds a producer
 * 2–5 ms per stall, at most 10 ms per read pass — but its subscribers may queue 64 MB, ours 1 MiB.
 * Measured (test/hub/flow-control.test.ts, two senders flat out, readers that pause 20 ms every 8th
 * read): at 10 ms the readers were cut in 3 of 4 runs, at 25 ms and 50 ms in none of 3. 25 ms is
 * still below what a person notices, and a frozen member costs the room at most that per write.
 */
export const DEFAULT_STALL_MS = 25;
/**
 * 2 s: a congested recipient whose socket takes nothing this long has stopped reading; it holds
 * nobody back after that, and is cut when it reaches maxQueue. This bounds what a frozen member
 * can cost the room (2 s of senders slowed by at most 25 ms a write); a reader that merely lags
 * (a busy machine, a phone) takes something well within it.
 */
export const DEFAULT_STALL_BUDGET_MS = 2_000;
/**
 * 300: the most lines one resume replays, and so how many a room keeps (Centrifugo's default
 * recovery cap is the same). A client away longer is told the gap it missed instead.
 */
export const DEFAULT_RECOVER = 300;
/**
 * 256 KiB: what one room's log (history and resume) may hold in memory, whichever of this and
 * `recover` lines comes first — 300 lines of 4 KiB would be 1.2 MB a room, and there can be as
 * many rooms as members.
 */
export const DEFAULT_RECOVER_BYTES = 256 * 1024;
/** Rooms larger than this do not announce joins, leaves and nick changes. */
export const DEFAULT_ANNOUNCE_LIMIT = 100;
export const LOBBY = 'lobby';

/** Chat hub limits; each is a query parameter of the listener URL, e.g. `?flood=0&history=50`. */
export interface ChatOptions {
  /** `flood`: lines a second per member; 0 turns the flood limit off. @default 20 */
  floodRate: number;
  /** `burst`: lines a member may send at once before the rate applies. @default 40 */
  floodBurst: number;
  /** `history`: messages of a room replayed to whoever joins; 0 = none. @default 50 */
  history: number;
  /**
   * `recover`: lines a room keeps for resume (`/resume ROOM EPOCH SEQ`), the most one resume
   * replays. @default 300
   */
  recover: number;
  /** `recoverBytes`: memory one room's log may use, in bytes (the oldest lines go first). @default 262144 */
  recoverBytes: number;
  /** `maxQueue`: bytes waiting for one member before it is disconnected as too slow. @default 1048576 */
  maxQueueBytes: number;
  /** `maxMessage`: longest chat line relayed, in bytes. @default 4096 */
  maxMessageBytes: number;
  /** `announce`: rooms above this many members stay quiet about joins, leaves and renames. @default 100 */
  announceLimit: number;
  /**
   * `stallAt`: bytes a member's socket may hold unsent before the senders feeding it are held
   * back; a room's lines are also written out early once a turn gathers this many.
   * @default maxQueue / 4, at most 256 KiB
   */
  stallAtBytes: number;
  /** `stallMs`: longest a sender is held back for one congested recipient. @default 25 */
  stallMs: number;
  /** `stallBudgetMs`: how long a congested recipient may take nothing and still hold senders back. @default 2000 */
  stallBudgetMs: number;
}

/** How many lines a room keeps for history and resume: at least `history`, and the resume window. */
export function logLength(options: ChatOptions): number {
  return Math.max(options.history, options.recover);
}

function count(params: ServiceParams, name: string, fallback: number, min: number): number {
  const text = params.take(name);
  return text === undefined ? fallback : parseWholeNumber(`chat: ${name}`, text, { min });
}

/** Read the chat options from a listener's query parameters. */
export function chatOptionsFrom(params: ServiceParams): ChatOptions {
  const maxQueueBytes = count(params, 'maxQueue', DEFAULT_MAX_QUEUE, 1024);
  const stallAtBytes = count(params, 'stallAt', Math.min(256 * 1024, Math.floor(maxQueueBytes / 4)), 1);
  if (stallAtBytes >= maxQueueBytes) {
    throw new InvalidOptionError(
      `chat: stallAt=${stallAtBytes} must be below maxQueue=${maxQueueBytes}: senders are held back before a member is cut, not after`,
    );
  }
  return {
    floodRate: count(params, 'flood', DEFAULT_FLOOD_RATE, 0),
    floodBurst: count(params, 'burst', DEFAULT_FLOOD_BURST, 1),
    history: count(params, 'history', DEFAULT_HISTORY, 0),
    recover: count(params, 'recover', DEFAULT_RECOVER, 0),
    recoverBytes: count(params, 'recoverBytes', DEFAULT_RECOVER_BYTES, 1024),
    maxQueueBytes,
    maxMessageBytes: count(params, 'maxMessage', DEFAULT_MAX_MESSAGE, 1),
    announceLimit: count(params, 'announce', DEFAULT_ANNOUNCE_LIMIT, 0),
    stallAtBytes,
    stallMs: count(params, 'stallMs', DEFAULT_STALL_MS, 0),
    stallBudgetMs: count(params, 'stallBudgetMs', DEFAULT_STALL_BUDGET_MS, 0),
  };
}
