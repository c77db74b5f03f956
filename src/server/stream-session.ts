import type { Socket } from 'node:net';
import { decodedBefore, type Codec, type Decoder } from '../framing/codec.js';
import { IdleTimeoutError, SwitchboardError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import {
  toBuffer,
  type CloseReason,
  type Reply,
  type Service,
  type Session,
  type TransportName,
} from '../services/service.js';

export interface StreamSessionLimits {
  /** Close a connection that neither sends nor receives for this long; 0 = never. */
  readonly idleTimeoutMs: number;
  /** After a graceful close, how long to wait for the peer before dropping the connection. */
  readonly lingerMs: number;
}

let nextSessionId = 1;

/** Where a socket keeps its session, for the shared listeners. */
const SESSION = Symbol('switchboard.session');
type SessionSocket = Socket & { [SESSION]: StreamSession };

function isPromise(value: unknown): value is Promise<Reply> {
  return typeof (value as Promise<Reply> | null | undefined)?.then === 'function';
}

function describeSocketError(err: NodeJS.ErrnoException): CloseReason {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
    return { kind: 'reset', detail: 'connection reset by peer', error: err };
  }
  return { kind: 'error', detail: err.message, error: err };
}

/**
 * One stream connection: socket -> decoder -> service -> encoder -> socket.
 *
 * Replies to the messages of one read are gathered and written once. A service that answers with a
 * promise pauses reading from this peer only, until the reply is out (aedes does the same): replies
 * keep their order, and a slow service throttles only its own peer. A peer that stops reading our
 * replies is paused too, so its backlog lives in its kernel buffers, not in our memory.
 */
export class StreamSession implements Session {
  readonly id = nextSessionId++;
  readonly framing;
  private readonly decoder: Decoder;
  private reason: CloseReason | undefined;
  private ending = false;
  private inputEnded = false;
  private awaiting = false;
  private writePaused = false;
  /** pauseInput() calls not yet matched by resumeInput(). */
  private inputHolds = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Messages that arrived while a promised reply was outstanding (only if a read slipped through). */
  private backlog: Buffer[] = [];
  /** A protocol error that waits for a promised reply to go out first. */
  private deferredError: unknown;
  private readonly openedAt = Date.now();
  private firstBytesSeen = false;
  private messagesIn = 0;

  constructor(
    private readonly socket: Socket,
    readonly peer: string,
    readonly transport: TransportName,
    readonly codec: Codec,
    private readonly service: Service,
    private readonly logger: Logger,
    private readonly limits: StreamSessionLimits,
    private readonly onClosed: (session: StreamSession, reason: CloseReason) => void,
  ) {
    this.framing = codec.name;
    this.decoder = codec.createDecoder();
    // Shared listeners that find their session on the socket, rather than six closures per
    // session: idle connections are most of a chat hub's memory (issue: ≤ 6 KB per idle member).
    (socket as SessionSocket)[SESSION] = this;
    socket.on('data', StreamSession.socketData);
    socket.on('end', StreamSession.socketEnd);
    socket.on('error', StreamSession.socketError);
    socket.on('close', StreamSession.socketClose);
    socket.on('drain', StreamSession.socketDrain);
    socket.on('finish', StreamSession.socketFinish);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs);
      socket.on('timeout', StreamSession.socketTimeout);
    }
  }

  // EventEmitter calls a listener with `this` set to the emitter: the socket.
  private static socketData(this: Socket, chunk: Buffer): void {
    (this as SessionSocket)[SESSION].onData(chunk);
  }
  private static socketEnd(this: Socket): void {
    (this as SessionSocket)[SESSION].onEnd();
  }
  private static socketError(this: Socket, err: NodeJS.ErrnoException): void {
    (this as SessionSocket)[SESSION].onError(err);
  }
  private static socketClose(this: Socket): void {
    (this as SessionSocket)[SESSION].onClose();
  }
  private static socketDrain(this: Socket): void {
    (this as SessionSocket)[SESSION].onDrain();
  }
  private static socketFinish(this: Socket): void {
    (this as SessionSocket)[SESSION].onFinish();
  }
  private static socketTimeout(this: Socket): void {
    (this as SessionSocket)[SESSION].onIdle();
  }

  /** Start the service for this session; call once the session is registered. */
  open(): void {
    this.logger.info(
      { peer: this.peer, service: this.service.name, transport: this.transport, framing: this.framing },
      'connect',
    );
    try {
      this.service.onOpen?.(this);
    } catch (err) {
      this.serviceFailed(err);
    }
  }

  get closed(): boolean {
    return this.ending || this.socket.destroyed;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  send(message: Buffer | string): boolean {
    return this.sendEncoded(this.codec.encode(toBuffer(message)));
  }

  sendEncoded(frame: Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.write(frame);
  }

  sendFrames(frames: readonly Buffer[]): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    if (frames.length === 1) return this.write(frames[0]!);
    // cork/uncork: one writev syscall for the batch, and no copy of buffers shared with others.
    this.socket.cork();
    let ok = true;
    for (const frame of frames) ok = this.write(frame) && ok;
    this.socket.uncork();
    return ok;
  }

  close(notice?: string, detail = 'closed by service'): void {
    if (this.ending || this.socket.destroyed) return;
    this.reason ??= { kind: 'closed-by-service', detail };
    // Logged now: a peer that does not read may hold the socket until the linger ends.
    this.logger.info({ peer: this.peer, reason: detail }, 'closing');
    this.endGracefully(notice);
  }

  destroy(detail = 'dropped by service', error?: Error): void {
    this.reason ??= { kind: 'closed-by-service', detail, error };
    this.socket.destroy();
  }

  pauseInput(): void {
    this.inputHolds++;
    this.socket.pause();
  }

  resumeInput(): void {
    if (this.inputHolds === 0) return;
    this.inputHolds--;
    this.resumeIfReady();
  }

  /**
   * Server shutdown (DESIGN §7): stop reading — new input would only be discarded — finish the
   * replies under way, close, and be done once our output is flushed, without waiting for the peer.
   */
  shutdown(): void {
    this.reason ??= { kind: 'shutdown', detail: 'server shutting down' };
    this.socket.pause();
    if (this.awaiting) return; // the promised reply goes out first, then the session ends
    this.endGracefully();
  }

  /** Read again unless something still holds input back. */
  private resumeIfReady(): void {
    if (this.awaiting || this.writePaused || this.inputHolds > 0) return;
    if (this.ending || this.reason?.kind === 'shutdown') return;
    this.socket.resume();
  }

  private endGracefully(notice?: string): void {
    if (this.ending || this.socket.destroyed) return;
    if (notice !== undefined && !this.socket.writableEnded) {
      this.write(this.codec.encode(Buffer.from(notice, 'utf8')));
    }
    this.ending = true;
    this.socket.end();
    // A peer that never reads would hold the connection open forever: give it a deadline.
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.limits.lingerMs);
    this.lingerTimer.unref();
  }

  private write(frame: Buffer): boolean {
    const ok = this.socket.write(frame);
    if (!ok && !this.writePaused) {
      this.writePaused = true;
      this.socket.pause();
    }
    return ok;
  }

  private onDrain(): void {
    if (this.writePaused) {
      this.writePaused = false;
      this.resumeIfReady();
    }
    this.service.onDrain?.(this);
  }

  /** Everything we wrote, the end included, is with the kernel. */
  private onFinish(): void {
    // DESIGN §7: at shutdown the server exits once output is flushed; it does not wait for the
    // peer to close its side (an idle client may never do so).
    if (this.reason?.kind === 'shutdown') this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return; // after a protocol error or a close, input is read and dropped
    if (!this.firstBytesSeen) {
      this.firstBytesSeen = true;
      const foreign = this.service.foreignProtocol?.(chunk);
      if (foreign !== undefined) return this.refuseForeign(foreign);
    }
    let messages: Buffer[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      // DESIGN §7, nothing is lost: messages before the bad one are served, then the peer is told.
      const before = decodedBefore(err);
      if (before.length > 0 && !this.awaiting) this.handle(before, 0);
      if (this.awaiting) this.deferredError = err;
      else this.protocolError(err);
      return;
    }
    if (messages.length === 0) return;
    if (this.awaiting) {
      for (const m of messages) this.backlog.push(m);
      return;
    }
    this.handle(messages, 0);
  }

  /** Run the service over messages[start..]; gathers the synchronous replies into one write. */
  private handle(messages: Buffer[], start: number): void {
    // Replies are kept unencoded and framed together at the end (codec.encodeAll): one allocation
    // and one copy per reply instead of an encode() and a Buffer.concat() each (profile: 100x16).
    let replies: Buffer[] | undefined;
    for (let i = start; i < messages.length; i++) {
      if (this.socket.destroyed) return;
      this.messagesIn++;
      let reply: Reply | Promise<Reply>;
      try {
        reply = this.service.onMessage(messages[i]!, this);
      } catch (err) {
        this.flushReplies(replies);
        this.serviceFailed(err);
        return;
      }
      if (isPromise(reply)) {
        this.flushReplies(replies);
        this.awaitReply(reply, messages, i + 1);
        return;
      }
      if (reply == null) continue;
      (replies ??= []).push(toBuffer(reply));
    }
    this.flushReplies(replies);
    if (this.inputEnded) this.finishInput();
  }

  private flushReplies(replies: Buffer[] | undefined): void {
    if (replies === undefined || this.socket.destroyed || this.socket.writableEnded) return;
    // One write for a read's worth of replies: one syscall instead of one per message.
    this.write(this.codec.encodeAll(replies));
  }

  private awaitReply(promise: Promise<Reply>, messages: Buffer[], next: number): void {
    this.awaiting = true;
    this.socket.pause();
    promise.then(
      (reply) => {
        this.awaiting = false;
        if (this.socket.destroyed) return;
        if (reply != null && !this.socket.writableEnded) this.write(this.codec.encode(toBuffer(reply)));
        const rest = this.backlog.length === 0 ? messages : messages.slice(next).concat(this.backlog);
        const from = this.backlog.length === 0 ? next : 0;
        this.backlog = [];
        this.handle(rest, from);
        if (!this.awaiting && this.deferredError !== undefined) return this.protocolError(this.deferredError);
        this.resumeIfReady();
        if (!this.awaiting && this.reason?.kind === 'shutdown') this.endGracefully();
      },
      (err: unknown) => {
        this.awaiting = false;
        this.serviceFailed(err);
      },
    );
  }

  private onEnd(): void {
    // DESIGN §7: a half-close still gets every reply before we close our side.
    this.inputEnded = true;
    this.reason ??= { kind: 'peer-closed', detail: 'peer closed' };
    if (this.ending) return;
    let last: Buffer[];
    try {
      last = this.decoder.end();
    } catch (err) {
      this.reason = {
        kind: 'protocol',
        detail: (err as Error).message,
        error: err as Error,
      };
      this.logger.warn({ peer: this.peer, err }, (err as Error).message);
      last = [];
    }
    if (this.awaiting) {
      for (const m of last) this.backlog.push(m);
      return;
    }
    this.handle(last, 0);
  }

  private finishInput(): void {
    if (!this.awaiting) this.endGracefully();
  }

  /** Issue 13: a TLS or HTTP client on a port of another protocol is closed at once. */
  private refuseForeign(what: string): void {
    const detail = `not a ${this.service.name} client: ${what} on a ${this.service.name} port`;
    this.reason = { kind: 'protocol', detail };
    this.logger.warn({ peer: this.peer }, `${this.peer}: ${detail}; closed`);
    this.socket.destroy();
  }

  private protocolError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.reason = { kind: 'protocol', detail: error.message, error };
    this.logger.warn(
      { peer: this.peer, code: (error as SwitchboardError).code },
      `${this.peer}: ${error.message}`,
    );
    this.endGracefully((error as SwitchboardError).notice);
  }

  private serviceFailed(err: unknown): void {
    const error =
      err instanceof SwitchboardError
        ? err
        : new SwitchboardError(
            ErrorCode.SERVICE_FAILED,
            `service ${this.service.name} failed: ${String((err as Error)?.message ?? err)}`,
            {
              cause: err,
              peer: this.peer,
            },
          );
    this.reason = { kind: 'error', detail: error.message, error };
    this.logger.error({ peer: this.peer, err }, `${this.peer}: ${error.message}`);
    this.endGracefully(error.notice ?? 'error: internal server error; closing');
  }

  private onIdle(): void {
    const error = new IdleTimeoutError(this.peer, this.limits.idleTimeoutMs);
    this.reason ??= { kind: 'idle', detail: `idle for ${this.limits.idleTimeoutMs} ms`, error };
    if (this.ending) {
      this.socket.destroy();
      return;
    }
    this.endGracefully(error.notice);
  }

  private onError(err: NodeJS.ErrnoException): void {
    // DESIGN §7: a peer that vanishes costs only its own connection; the 'close' event follows.
    this.reason ??= describeSocketError(err);
  }

  private onClose(): void {
    clearTimeout(this.lingerTimer);
    this.ending = true;
    const reason = this.reason ?? { kind: 'peer-closed', detail: 'peer closed' };
    this.logger.info(
      {
        peer: this.peer,
        reason: reason.detail,
        durationMs: Date.now() - this.openedAt,
        messagesIn: this.messagesIn,
        bytesIn: this.socket.bytesRead,
        bytesOut: this.socket.bytesWritten,
      },
      'close',
    );
    try {
      this.service.onClose?.(this, reason);
    } catch (err) {
      this.logger.error({ peer: this.peer, err }, `service ${this.service.name} failed while closing`);
    }
    this.onClosed(this, reason);
  }
}
