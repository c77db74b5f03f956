import type { Socket } from 'node:net';
import type { WsFraming, WsLink } from '../ws-link.js';

/**
 * What the fan-out bench writes to and reads from: a raw TCP (or Unix, TLS) socket, or a raw
 * WebSocket client that looks like one (`WsLink`).
 */
export type BenchLink = Socket | WsLink;

/** How a hub speaks over WebSocket (`ws://` URLs). */
export interface WebSocketSpeech {
  /** The request path and query to upgrade on, from the URL's path (`/` when it has none). */
  path(urlPath: string): string;
  /** One message per line, or a byte stream of lines in the messages (see `WsLink`). */
  readonly framing: WsFraming;
  /** Send binary messages (NATS) rather than text. */
  readonly binary: boolean;
  /** Run on each new link before the bench uses it (Socket.IO's open and namespace connect). */
  handshake?(link: WsLink): Promise<void>;
}

/**
 * How the fan-out bench speaks to one kind of hub. Members and the sender are raw sockets; every
 * hub relays lines, so members split what they receive into lines, and a line holding the bench's
 * marker is a delivery. Anything else (greetings, join notices, protocol chatter) goes to
 * `onControlLine`, which may answer it (nats `PING`) or report it as a problem.
 */
export interface FanoutAdapter {
  readonly name: string;
  /**
   * Connects at once while the members join. ncat accepts slowly with a short listen backlog: a
   * connect the kernel completed but ncat has not accepted yet is a member that misses messages.
   */
  readonly connectParallel?: number;
  /** Set when the hub can be benchmarked over `ws://`. */
  readonly websocket?: WebSocketSpeech;
  /**
   * Bytes after the body on a delivery line, which the bench skips before checking the body
   * (Socket.IO: the `"]` that closes `42["line","BODY"]`). @default 0
   */
  readonly trailer?: number;
  /** Run once per connection before the run (nats CONNECT/SUB, chat /join). */
  setup(socket: BenchLink, role: 'sender' | 'member', room: string): void;
  /** The bytes the sender writes to publish `body` (over WebSocket `lines`: one line per message). */
  encode(body: Buffer, room: string): Buffer;
  /**
   * A line without the marker, as `buf[start..end)` (no view is made: nats sends one per delivery);
   * return a problem description to fail the member, else undefined.
   */
  onControlLine(buf: Buffer, start: number, end: number, socket: BenchLink): string | undefined;
}
