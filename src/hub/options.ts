import type { ServiceParams } from '../services/service.js';
import { InvalidOptionError } from '../errors.js';

/** Lines a second a member may send before being refused. @default 20 */
export const DEFAULT_FLOOD_RATE = 20;
export const DEFAULT_FLOOD_BURST = 40;
export const DEFAULT_HISTORY = 50;
/** 1 MiB: what may wait for one member before it is disconnected as too slow. */
export const DEFAULT_MAX_QUEUE = 1024 * 1024;
/** 4 KiB: the longest chat line relayed; a longer one gets a notice and is not sent. */
export const DEFAULT_MAX_MESSAGE = 4 * 1024;
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
  /** `maxQueue`: bytes waiting for one member before it is disconnected as too slow. @default 1048576 */
  maxQueueBytes: number;
  /** `maxMessage`: longest chat line relayed, in bytes. @default 4096 */
  maxMessageBytes: number;
  /** `announce`: rooms above this many members stay quiet about joins, leaves and renames. @default 100 */
  announceLimit: number;
}

function count(params: ServiceParams, name: string, fallback: number, min: number): number {
  const text = params.take(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(`chat: ${name}=${text} must be a whole number of at least ${min}`);
  }
  return value;
}

/** Read the chat options from a listener's query parameters. */
export function chatOptionsFrom(params: ServiceParams): ChatOptions {
  return {
    floodRate: count(params, 'flood', DEFAULT_FLOOD_RATE, 0),
    floodBurst: count(params, 'burst', DEFAULT_FLOOD_BURST, 1),
    history: count(params, 'history', DEFAULT_HISTORY, 0),
    maxQueueBytes: count(params, 'maxQueue', DEFAULT_MAX_QUEUE, 1024),
    maxMessageBytes: count(params, 'maxMessage', DEFAULT_MAX_MESSAGE, 1),
    announceLimit: count(params, 'announce', DEFAULT_ANNOUNCE_LIMIT, 0),
  };
}
