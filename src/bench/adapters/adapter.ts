import type { Socket } from 'node:net';

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
  /** Run once per connection before the run (nats CONNECT/SUB, chat /join). */
  setup(socket: Socket, role: 'sender' | 'member', room: string): void;
  /** The bytes the sender writes to publish `body`. */
  encode(body: Buffer, room: string): Buffer;
  /**
   * A line without the marker, as `buf[start..end)` (no view is made: nats sends one per delivery);
   * return a problem description to fail the member, else undefined.
   */
  onControlLine(buf: Buffer, start: number, end: number, socket: Socket): string | undefined;
}
