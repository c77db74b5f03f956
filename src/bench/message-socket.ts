import { Duplex } from 'node:stream';
import type { Codec, Decoder } from '../framing/codec.js';
import type { Connection, ConnectionError, ConnectionHandler } from '../transports/connection.js';

/**
 * A message connection (ws, wss) as the byte stream the bench's connections read and write: what
 * the bench writes is split by its framing into messages, one WebSocket message each, and every
 * message received comes back framed the same way. The generator pays for the translation, the
 * server under test does not: it sees one WebSocket message per request.
 */
export class MessageSocket extends Duplex implements ConnectionHandler {
  private readonly decoder: Decoder;

  constructor(
    private readonly connection: Connection,
    private readonly codec: Codec,
  ) {
    super({ allowHalfOpen: false });
    this.decoder = codec.createDecoder();
    connection.attach(this);
  }

  onData(message: Buffer): void {
    if (!this.push(this.codec.encode(message))) this.connection.pause();
  }
  onEnd(): void {
    this.push(null);
  }
  onDrain(): void {}
  onFinish(): void {}
  onIdle(): void {}
  onError(error: ConnectionError): void {
    this.destroy(error.error);
  }
  onClose(): void {
    this.push(null);
    if (!this.destroyed) this.destroy();
  }

  override _read(): void {
    this.connection.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.connection.writeAll(this.decoder.push(chunk));
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.connection.destroy();
    callback(error);
  }
}
