import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { WebSocketClosedError } from '../errors.js';
import type { CloseFrame, Connection, ConnectionHandler } from './connection.js';
import type { TransportName } from './transport.js';

/** RFC 6455 §7.4.1: closes that are not a failure. 1005: the peer sent no code. */
const NORMAL_CLOSES = new Set([1000, 1001, 1005]);

/**
 * Server-side WebSocket closes by code, for the process (DESIGN §9, read by the metrics): the code
 * the close frame carried, 1005 when it had none, 1006 when the connection was lost without one.
 */
export const wsServerCloseCodes = new Map<number, number>();

/**
 * The socket under a WebSocket: ws keeps it in `_socket` (documented in its README as the way to
 * reach the raw socket). We need it for backpressure — the bytes the kernel has not taken — and
 * for 'drain', 'finish' and the idle timer, as for a TCP connection (DESIGN §7).
 */
function rawSocket(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/**
 * A message connection over one WebSocket (ws, wss): every WebSocket message is one message
 * (DESIGN §2). A reply goes out as text when the peer's last message was text and the reply is
 * valid UTF-8, binary otherwise; a peer that stops reading is paused like a TCP peer.
 */
export class WsConnection implements Connection {
  readonly kind = 'message' as const;
  /** Set on every pong; the heartbeat clears it with each ping and drops a peer that never sets it. */
  alive = true;
  private readonly socket: Socket;
  private lastWasBinary = false;
  private handler: ConnectionHandler | undefined;
  private failed = false;
  /** We have sent (or are sending) our close frame. */
  private ending = false;
  /** The peer's close frame came; our answer waits for `end()`. */
  private peerClosed = false;
  private closeNow: ((code?: number, reason?: string | Buffer) => void) | undefined;
  private peerCloseCode: number | undefined;
  private corked = false;
  /**
   * Messages that came before attach(): ws emits a message that arrived with the 101 response
   * (a chat greeting) synchronously after 'open', before whoever awaits the connection can attach.
   */
  private early: Array<{ data: Buffer; isBinary: boolean }> | undefined;
  readonly remoteAddress: string | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly transport: TransportName,
    readonly peer: string,
    /** Server side: after a close frame we end the TCP side, so 'finish' means "flushed". */
    private readonly isServer: boolean,
  ) {
    this.socket = rawSocket(ws);
    this.remoteAddress = this.socket.remoteAddress;
    if (isServer) this.deferCloseReply();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.handler === undefined) {
        (this.early ??= []).push({ data, isBinary });
        return;
      }
      this.lastWasBinary = isBinary;
      this.handler.onData(data);
    });
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    const ws = this.ws;
    for (const { data, isBinary } of this.early?.splice(0) ?? []) {
      this.lastWasBinary = isBinary;
      handler.onData(data);
    }
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (err: Error & { code?: string }) => {
      this.failed = true;
      // ws has already sent the close code the protocol asks for (1002, 1007, 1009).
      const protocol = err.code?.startsWith('WS_ERR_') === true;
      handler.onError({ kind: protocol ? 'protocol' : 'error', detail: err.message, error: err });
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.isServer) wsServerCloseCodes.set(code, (wsServerCloseCodes.get(code) ?? 0) + 1);
      if (!this.failed && !NORMAL_CLOSES.has(code)) {
        const text = reason.toString('utf8');
        handler.onError(
          code === 1006
            ? {
                kind: 'reset',
                detail: 'connection lost without a WebSocket close',
                error: new WebSocketClosedError(this.peer, code, 'connection lost without a close frame'),
              }
            : {
                kind: 'protocol',
                detail: `closed with code ${code}${text === '' ? '' : ` (${text})`}`,
                error: new WebSocketClosedError(this.peer, code, text),
              },
        );
      }
      handler.onClose();
    });
    this.socket.on('drain', () => handler.onDrain());
    this.socket.on('finish', () => handler.onFinish());
    // Closed before anyone attached (a server that refuses at once): still report it, once.
    if (ws.readyState === WebSocket.CLOSED) process.nextTick(() => handler.onClose());
  }

  write(data: Buffer): boolean {
    if (!this.writable) return false;
    this.corkForTurn();
    if (this.isServer && data.length <= SHARED_FRAME_MAX && this.ws.readyState === WebSocket.OPEN) {
      // A server's frames are not masked, so a payload's frame is the same bytes for every
      // connection: the hub writes one Buffer to every member of a room, and it is framed (and its
      // UTF-8 checked) once per turn, not once per member. Written straight to the socket, in
      // order with ws's own frames: without permessage-deflate ws writes every frame at once.
      this.socket.write(serverFrame(data, this.lastWasBinary));
    } else {
      // DESIGN §2: text answers text, when the reply is valid UTF-8; binary otherwise.
      this.ws.send(data, this.lastWasBinary || !isUtf8(data) ? BINARY : TEXT);
    }
    return !this.socket.writableNeedDrain;
  }

  writeAll(data: readonly Buffer[]): boolean {
    let ok = true;
    for (const d of data) ok = this.write(d) && ok;
    return ok;
  }

  /**
   * ws emits every message of a read one by one and writes each reply with its own send: one
   * syscall per message. Corking until the end of the turn gathers the replies to a read's worth of
   * messages into one writev, as the session core does for streams (STYLE: writes and backpressure).
   */
  private corkForTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(WsConnection.uncork, this);
  }

  private static uncork(this: void, connection: WsConnection): void {
    connection.corked = false;
    connection.socket.uncork();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  get writable(): boolean {
    // CLOSING after the peer's close: our side is open until end() answers it.
    const open = this.ws.readyState === WebSocket.OPEN || (this.peerClosed && !this.ending);
    return open && !this.socket.writableEnded;
  }

  get destroyed(): boolean {
    return this.socket.destroyed || this.ws.readyState === WebSocket.CLOSED;
  }

  end(close: CloseFrame = { code: 1000, reason: '' }): void {
    if (this.ending) return;
    this.ending = true;
    if (this.peerClosed) {
      // Answer the peer's close with its own code, as RFC 6455 §5.5.1 has it.
      this.closeNow?.(this.peerCloseCode);
      if (!this.socket.destroyed) this.socket.end();
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.close(close.code, close.reason);
    // The server ends its TCP side behind the close frame (RFC 6455 §7.1.1 lets the server close
    // first): 'finish' then means everything, the close included, is with the kernel, and a
    // shutdown does not wait for the peer's answer (DESIGN §7). The peer's close is still read.
    if (this.isServer && !this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.ws.terminate();
  }

  /**
   * ws answers a peer's close frame at once, from inside the read that brought it: replies that
   * services queue for the same turn (the chat hub flushes once per tick) would be cut off. A
   * peer's close is the WebSocket half-close (DESIGN §7: a half-close still gets every reply), so
   * it is reported as `onEnd` and answered by `end()`, once the session has finished.
   */
  private deferCloseReply(): void {
    const ws = this.ws as WebSocket & { _closeFrameReceived?: boolean; _closeFrameSent?: boolean };
    const close = ws.close.bind(ws);
    this.closeNow = close;
    ws.close = (code?: number, reason?: string | Buffer): void => {
      if (ws._closeFrameReceived === true && ws._closeFrameSent !== true && !this.ending && this.handler) {
        this.peerClosed = true;
        this.peerCloseCode = code;
        this.handler.onEnd();
        return;
      }
      close(code, reason);
    };
  }

  /** The heartbeat's verdict (DESIGN §2): no pong to the last ping; drop the connection. */
  pongMissing(intervalMs: number): void {
    this.failed = true;
    const detail = `no pong within ${intervalMs} ms of a ping`;
    this.handler?.onError({ kind: 'error', detail, error: new Error(`${this.peer}: ${detail}`) });
    this.ws.terminate();
  }

  setIdleTimeout(ms: number): void {
    this.socket.setTimeout(ms);
    if (ms > 0 && this.socket.listenerCount('timeout') === 0) {
      this.socket.on('timeout', () => this.handler?.onIdle());
    }
  }
}

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

/** Payloads up to this size are framed into one buffer (a copy); larger ones go through ws. */
const SHARED_FRAME_MAX = 16 * 1024;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** This turn's frames by payload, for text-or-binary (as the peer wrote) and for binary only. */
let framesAsPeer: Map<Buffer, Buffer> | undefined;
let framesBinary: Map<Buffer, Buffer> | undefined;

function forgetFrames(): void {
  framesAsPeer = undefined;
  framesBinary = undefined;
}

/**
 * The unmasked frame (RFC 6455 §5.2) of `data` as one Buffer: text when `binary` is false and the
 * payload is valid UTF-8 (DESIGN §2), else binary. Kept until the end of the turn, by payload.
 */
function serverFrame(data: Buffer, binary: boolean): Buffer {
  let cache = binary ? framesBinary : framesAsPeer;
  if (cache === undefined) {
    if (framesAsPeer === undefined && framesBinary === undefined) process.nextTick(forgetFrames);
    cache = new Map();
    if (binary) framesBinary = cache;
    else framesAsPeer = cache;
  }
  let frame = cache.get(data);
  // A service may reuse one Buffer for several replies in a turn (MessageHandler allows writing
  // into a message in place): the cached frame is only taken while it still holds these bytes.
  if (frame === undefined || frame.compare(data, 0, data.length, frame.length - data.length) !== 0) {
    frame = encodeFrame(data, binary || !isUtf8(data) ? OPCODE_BINARY : OPCODE_TEXT);
    cache.set(data, frame);
  }
  return frame;
}

function encodeFrame(data: Buffer, opcode: number): Buffer {
  const n = data.length;
  const header = n < 126 ? 2 : n < 0x1_0000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + n);
  frame[0] = FIN | opcode;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 0x1_0000) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  data.copy(frame, header);
  return frame;
}
