import type { Socket } from 'node:net';
import { connectError, ConnectionClosedError } from '../errors.js';
import { decodedBefore, type Codec } from '../framing/codec.js';
import type { Link, LinkEvents } from './link.js';

/** A stream socket with a codec on it. */
export class StreamLink implements Link {
  private readonly decoder;
  private error: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly codec: Codec,
    readonly peer: string,
    events: LinkEvents,
  ) {
    this.decoder = codec.createDecoder();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = this.decoder.push(chunk);
      } catch (err) {
        for (const m of decodedBefore(err)) events.message(m);
        this.error = err as Error;
        socket.destroy();
        return;
      }
      for (const m of messages) events.message(m);
    });
    socket.on('end', () => {
      try {
        for (const m of this.decoder.end()) events.message(m);
      } catch (err) {
        this.error ??= err as Error;
      }
      // The server finished: finish our side too, so the connection closes.
      if (!socket.writableEnded) socket.end();
    });
    socket.on('error', (err) => (this.error ??= connectError(peer, err)));
    socket.on('drain', () => events.drain());
    socket.on('close', (hadError) => {
      if (hadError && this.error === undefined)
        this.error = new ConnectionClosedError(peer, 'connection lost');
      events.close(this.error);
    });
  }

  send(message: Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) {
      throw new ConnectionClosedError(this.peer, 'cannot send: the connection is closed');
    }
    return this.socket.write(this.codec.encode(message));
  }

  end(): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}
