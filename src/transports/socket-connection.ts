import type { Socket } from 'node:net';
import type { CloseFrame, Connection, ConnectionHandler } from './connection.js';
import type { TransportName } from './transport.js';

/** Where a socket keeps its handler, for the shared listeners below. */
const HANDLER = Symbol('switchboard.handler');
type HandledSocket = Socket & { [HANDLER]: ConnectionHandler };

function handlerOf(socket: Socket): ConnectionHandler {
  return (socket as HandledSocket)[HANDLER];
}

/**
 * A byte-stream connection over a `net.Socket` or a `tls.TLSSocket` (tcp, unix, tls).
 *
 * The socket's listeners are shared static functions that find the handler on the socket, rather
 * than closures per connection: idle connections are most of a chat hub's memory.
 */
/** Issue 13: TCP keepalive probes after a minute of silence find peers that vanished without a FIN. */
export const KEEPALIVE_DELAY_MS = 60_000;

export class SocketConnection implements Connection {
  readonly kind = 'stream' as const;
  /** Captured at accept: a peer that resets at once has no address left to read. */
  readonly remoteAddress: string | undefined;

  constructor(
    readonly socket: Socket,
    readonly transport: TransportName,
    readonly peer: string,
  ) {
    this.remoteAddress = socket.remoteAddress;
    if (transport !== 'unix') socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
  }

  // EventEmitter calls a listener with `this` set to the emitter: the socket.
  private static onData(this: Socket, chunk: Buffer): void {
    handlerOf(this).onData(chunk);
  }
  private static onEnd(this: Socket): void {
    handlerOf(this).onEnd();
  }
  private static onError(this: Socket, err: NodeJS.ErrnoException): void {
    // DESIGN §7: a peer that vanishes costs only its own connection; 'close' follows.
    const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    handlerOf(this).onError(
      reset
        ? { kind: 'reset', detail: 'connection reset by peer', error: err }
        : { kind: 'error', detail: err.message, error: err },
    );
  }
  private static onClose(this: Socket): void {
    handlerOf(this).onClose();
  }
  private static onDrain(this: Socket): void {
    handlerOf(this).onDrain();
  }
  private static onFinish(this: Socket): void {
    handlerOf(this).onFinish();
  }
  private static onTimeout(this: Socket): void {
    handlerOf(this).onIdle();
  }

  attach(handler: ConnectionHandler): void {
    const socket = this.socket;
    (socket as HandledSocket)[HANDLER] = handler;
    /* eslint-disable @typescript-eslint/unbound-method -- declared `this: Socket`: the emitter binds it */
    socket.on('data', SocketConnection.onData);
    socket.on('end', SocketConnection.onEnd);
    socket.on('error', SocketConnection.onError);
    socket.on('close', SocketConnection.onClose);
    socket.on('drain', SocketConnection.onDrain);
    socket.on('finish', SocketConnection.onFinish);
    /* eslint-enable @typescript-eslint/unbound-method */
  }

  write(data: Buffer): boolean {
    return this.socket.write(data);
  }

  writeAll(data: readonly Buffer[]): boolean {
    if (data.length === 1) return this.socket.write(data[0]!);
    // cork/uncork: one writev syscall for the batch, and no copy of buffers shared with others.
    this.socket.cork();
    let ok = true;
    for (const d of data) ok = this.socket.write(d) && ok;
    this.socket.uncork();
    return ok;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  get writable(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  end(_close?: CloseFrame): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  setIdleTimeout(ms: number): void {
    this.socket.setTimeout(ms);
    if (ms > 0 && this.socket.listenerCount('timeout') === 0) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- `this: Socket`, bound by the emitter
      this.socket.on('timeout', SocketConnection.onTimeout);
    }
  }
}
