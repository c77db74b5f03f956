import { ConnectionClosedError, connectError } from '../errors.js';
import { decodedBefore, type Codec, type Decoder } from '../framing/codec.js';
import type { Connection, ConnectionError, ConnectionHandler } from '../transports/connection.js';
import type { Link, LinkEvents } from './link.js';

/**
 * A client's side of a connection (tcp, unix, tls, ws): the same `Connection` the server's session
 * core runs over, decoded by the same codec decoders (a WebSocket's "codec" is the message itself).
 */
export class ConnectionLink implements Link, ConnectionHandler {
  private readonly decoder: Decoder;
  private error: Error | undefined;
  readonly peer: string;

  constructor(
    private readonly connection: Connection,
    private readonly codec: Codec,
    private readonly events: LinkEvents,
  ) {
    this.peer = connection.peer;
    this.decoder = codec.createDecoder();
    connection.attach(this);
  }

  onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      for (const m of decodedBefore(err)) this.events.message(m);
      this.error = err as Error;
      this.connection.destroy();
      return;
    }
    for (const m of messages) this.events.message(m);
  }

  onEnd(): void {
    try {
      for (const m of this.decoder.end()) this.events.message(m);
    } catch (err) {
      this.error ??= err as Error;
    }
    // The server finished: finish our side too, so the connection closes.
    this.connection.end();
  }

  onDrain(): void {
    this.events.drain();
  }

  onFinish(): void {}
  onIdle(): void {}

  onError(error: ConnectionError): void {
    this.error ??= error.kind === 'protocol' ? error.error : connectError(this.peer, error.error);
  }

  onClose(): void {
    this.events.close(this.error);
  }

  send(message: Buffer): boolean {
    if (!this.connection.writable) {
      throw new ConnectionClosedError(this.peer, 'cannot send: the connection is closed');
    }
    return this.connection.write(this.codec.encode(message));
  }

  end(): void {
    this.connection.end({ code: 1000, reason: '' });
  }

  destroy(): void {
    this.connection.destroy();
  }

  pause(): void {
    this.connection.pause();
  }

  resume(): void {
    this.connection.resume();
  }
}
