/**
 * A raw WebSocket client for the fan-out bench: the `ws` package with permessage-deflate off and
 * nothing of switchboard's own client in between, so every hub is measured through the same
 * client. It looks to the fan-out like the net.Socket it uses over TCP (write, drain, destroy,
 * error/close), and hands over what arrives without copying:
 *
 * - `lines`: one WebSocket message is one line, without its newline (switchboard's chat over
 *   WebSocket, Socket.IO's packets). What the bench writes is split at its newlines, one message
 *   per line.
 * - `stream`: the messages carry a byte stream of lines that may be cut anywhere (NATS over
 *   WebSocket); what the bench writes goes out as one message.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

const LF = 0x0a;

/** How a hub's bytes ride in WebSocket messages. */
export type WsFraming = 'lines' | 'stream';

export class WsLink extends EventEmitter {
  private receiver: ((message: Buffer) => void) | undefined;
  /** Messages that came before a receiver was set (handshake replies, greetings). */
  private early: Buffer[] = [];
  private readonly sendOptions: { binary: boolean; compress: false };

  private constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly framing: WsFraming,
    binary: boolean,
  ) {
    super();
    this.sendOptions = { binary, compress: false };
    ws.on('message', (data: Buffer) => {
      if (this.receiver === undefined) this.early.push(data);
      else this.receiver(data);
    });
    ws.on('error', (err) => this.emit('error', err));
    ws.on('close', () => this.emit('close'));
    socket.on('drain', () => this.emit('drain'));
  }

  /** Connect to `url` (ws://HOST:PORT/PATH?QUERY); rejects with a one-line reason. */
  static open(url: string, framing: WsFraming, binary: boolean, timeoutMs: number): Promise<WsLink> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const fail = (err: Error): void => reject(new Error(`WebSocket to ${url}: ${err.message}`));
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new Error(`WebSocket to ${url}: HTTP ${res.statusCode} instead of an upgrade`));
      });
      ws.once('open', () => {
        ws.off('error', fail);
        // ws keeps the TCP socket in `_socket` (its README's way to reach it): Nagle off for the
        // latency figures, and its 'drain' for backpressure, as over TCP.
        const socket = (ws as unknown as { _socket: Socket })._socket;
        socket.setNoDelay(true);
        resolve(new WsLink(ws, socket, framing, binary));
      });
    });
  }

  /** Who gets every message from now on; messages that came earlier are handed over first. */
  setReceiver(receiver: (message: Buffer) => void): void {
    this.receiver = receiver;
    const early = this.early.splice(0);
    for (const m of early) receiver(m);
  }

  /** The next message, for handshakes: it is not given to a receiver set later. */
  nextMessage(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const early = this.early.shift();
      if (early !== undefined) return resolve(early);
      const closed = (): void => reject(new Error('the server closed the WebSocket'));
      this.once('close', closed);
      this.receiver = (m) => {
        this.receiver = undefined;
        this.off('close', closed);
        resolve(m);
      };
    });
  }

  /**
   * Send `data`: in `lines` framing each newline-terminated line (a last unterminated one too) as
   * its own message, in `stream` framing all of it as one. A write's messages leave in one
   * syscall (corked). Returns false when the socket's buffer is full: wait for 'drain'.
   */
  write(data: Buffer | string): boolean {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.socket.cork();
    if (this.framing === 'stream') {
      this.ws.send(buf, this.sendOptions);
    } else {
      let start = 0;
      while (start < buf.length) {
        let lf = buf.indexOf(LF, start);
        if (lf === -1) lf = buf.length;
        this.ws.send(buf.subarray(start, lf), this.sendOptions);
        start = lf + 1;
      }
    }
    this.socket.uncork();
    return !this.socket.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED || this.socket.destroyed;
  }

  destroy(): void {
    this.ws.terminate();
  }
}
