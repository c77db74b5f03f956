import { decodedBefore, type Codec, type Decoder } from '../framing/codec.js';
import { IdleTimeoutError, MessageTimeoutError, SwitchboardError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import {
  toBuffer,
  type CloseReason,
  type Reply,
  type Service,
  type Session,
  type SessionFraming,
} from '../services/service.js';
import type { CloseFrame, Connection, ConnectionError, ConnectionHandler } from '../transports/connection.js';
import type { TransportName } from '../transports/transport.js';
import { failureMessage, isPromise } from './reply.js';
import { nextSessionId } from './session-id.js';

export interface SessionLimits {
  /** Close a connection that neither sends nor receives for this long; 0 = never. */
  readonly idleTimeoutMs: number;
  /** After a graceful close, how long to wait for the peer before dropping the connection. */
  readonly lingerMs: number;
  /** A message (frame, line) that has begun must be complete within this long; 0 = no deadline. */
  readonly messageTimeoutMs: number;
}

/** Where the session is in its life. Input may end (a half-close) long before we end our side. */
const Phase = { OPEN: 0, INPUT_ENDED: 1, ENDING: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** Why reading is held, as bits: reading resumes when none is set and no pauseInput() is unmatched. */
const Hold = {
  /** A promised reply is outstanding: later messages wait, so replies keep their order. */
  REPLY: 1,
  /** The peer does not read our replies: its backlog stays in its kernel buffers, not our memory. */
  WRITE: 2,
  /** Server shutdown: new input would only be discarded. */
  SHUTDOWN: 4,
} as const;

/** WebSocket close codes (RFC 6455 §7.4.1) for the ways we end a session; streams ignore them. */
const CLOSE_NORMAL: CloseFrame = { code: 1000, reason: '' };
const CLOSE_SHUTDOWN: CloseFrame = { code: 1001, reason: 'server shutting down' };
const CLOSE_INTERNAL_ERROR: CloseFrame = { code: 1011, reason: 'internal server error' };
const CLOSE_POLICY: CloseFrame = { code: 1008, reason: 'protocol error' };

/**
 * The session core (DESIGN §1), one for every stream and message transport: connection ->
 * decoder -> service -> encoder -> connection, with reply order, backpressure, limits, idle and
 * linger. It knows nothing of sockets: tcp, unix, tls and ws are each a `Connection`.
 *
 * Replies to the messages of one read are gathered and written once. A service that answers with a
 * promise holds reading from this peer only, until the reply is out (aedes does the same): replies
 * keep their order, and a slow service throttles only its own peer. A peer that stops reading our
 * replies is paused too.
 */
export class ConnectionSession implements Session, ConnectionHandler {
  readonly id = nextSessionId();
  readonly framing: SessionFraming;
  readonly transport: TransportName;
  readonly peer: string;
  private readonly decoder: Decoder;
  /** Message connections send each reply as its own message; streams frame them into one write. */
  private readonly perMessage: boolean;
  private phase: Phase = Phase.OPEN;
  private holds = 0;
  /** pauseInput() calls not yet matched by resumeInput(). */
  private inputHolds = 0;
  private reason: CloseReason | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Messages that arrived while a promised reply was outstanding (only if a read slipped through). */
  private backlog: Buffer[] = [];
  /** A protocol error that waits for a promised reply to go out first. */
  private deferredError: unknown;
  private readonly openedAt = Date.now();
  private firstBytesSeen = false;
  /** Messages decoded from the peer and handed to the service (DESIGN §9: read by the metrics). */
  messagesIn = 0;
  /** Messages handed to the connection: replies, and each frame a service sent. */
  messagesOut = 0;
  /** When the message being received began (performance.now()); 0 when none is under way. */
  private partialSince = 0;

  constructor(
    private readonly connection: Connection,
    readonly codec: Codec,
    private readonly service: Service,
    private readonly logger: Logger,
    private readonly limits: SessionLimits,
    private readonly onClosed: (session: ConnectionSession, reason: CloseReason) => void,
  ) {
    this.transport = connection.transport;
    this.peer = connection.peer;
    this.framing = codec.name;
    this.decoder = codec.createDecoder();
    this.perMessage = connection.kind === 'message';
    // Only a byte stream's first bytes can be another protocol's handshake (service.foreignProtocol).
    this.firstBytesSeen = this.perMessage;
    connection.attach(this);
    if (limits.idleTimeoutMs > 0) connection.setIdleTimeout(limits.idleTimeoutMs);
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
    return this.phase === Phase.ENDING || this.connection.destroyed;
  }

  get bufferedBytes(): number {
    return this.connection.bufferedBytes;
  }

  /** Bytes read from the connection so far (the transport's own count: no work per read). */
  get bytesIn(): number {
    return this.connection.bytesRead;
  }

  get bytesOut(): number {
    return this.connection.bytesWritten;
  }

  send(message: Buffer | string): boolean {
    return this.sendEncoded(this.codec.encode(toBuffer(message)));
  }

  sendEncoded(frame: Buffer): boolean {
    if (!this.connection.writable) return false;
    this.messagesOut++;
    return this.write(frame);
  }

  sendFrames(frames: readonly Buffer[]): boolean {
    if (!this.connection.writable) return false;
    this.messagesOut += frames.length;
    const ok = this.connection.writeAll(frames);
    if (!ok) this.hold(Hold.WRITE);
    return ok;
  }

  close(notice?: string, detail = 'closed by service'): void {
    if (this.closed) return;
    this.reason ??= { kind: 'closed-by-service', detail };
    // Logged now: a peer that does not read may hold the connection until the linger ends.
    this.logger.info({ peer: this.peer, reason: detail }, 'closing');
    this.endGracefully(notice, CLOSE_NORMAL);
  }

  destroy(detail = 'dropped by service', error?: Error): void {
    this.reason ??= { kind: 'closed-by-service', detail, error };
    this.connection.destroy();
  }

  pauseInput(): void {
    this.inputHolds++;
    this.connection.pause();
  }

  resumeInput(): void {
    if (this.inputHolds === 0) return;
    this.inputHolds--;
    this.resumeIfReady();
  }

  /**
   * Server shutdown (DESIGN §7): stop reading — new input would only be discarded — finish the
   * replies under way, close (WebSocket: 1001 after the last message), and be done once our
   * output is flushed, without waiting for the peer.
   */
  shutdown(): void {
    this.reason ??= { kind: 'shutdown', detail: 'server shutting down' };
    this.hold(Hold.SHUTDOWN);
    if ((this.holds & Hold.REPLY) !== 0) return; // the promised reply goes out first, then the end
    this.endGracefully(undefined, CLOSE_SHUTDOWN);
  }

  // ConnectionHandler: what the connection tells us.

  onData(chunk: Buffer): void {
    if (this.phase === Phase.ENDING) return; // after a protocol error or a close, input is dropped
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
      if (before.length > 0 && (this.holds & Hold.REPLY) === 0) this.handle(before, 0);
      if ((this.holds & Hold.REPLY) !== 0) this.deferredError = err;
      else this.protocolError(err);
      return;
    }
    // Issue 13, slowloris: note when the message now under way began (a read that completed
    // messages and left a partial one began a new one); the server's sweep checks the deadline.
    if (this.decoder.pendingBytes === 0) this.partialSince = 0;
    else if (messages.length > 0 || this.partialSince === 0) this.partialSince = performance.now();
    if (messages.length === 0) return;
    if ((this.holds & Hold.REPLY) !== 0) {
      for (const m of messages) this.backlog.push(m);
      return;
    }
    // A chunk of whole frames may go back out as it is, if every reply is its request (see handle).
    this.handle(messages, 0, this.decoder.framedChunk === true ? chunk : undefined);
  }

  /** Bytes this connection holds in memory: a partial message in, and output not yet sent. */
  get heldBytes(): number {
    return this.decoder.pendingBytes + this.connection.bufferedBytes;
  }

  /** Issue 13: close the connection if a message it began has not finished within the deadline. */
  checkMessageDeadline(now: number): void {
    const limit = this.limits.messageTimeoutMs;
    if (limit === 0 || this.partialSince === 0 || now - this.partialSince <= limit) return;
    if (this.phase === Phase.ENDING) return;
    this.partialSince = 0;
    const error = new MessageTimeoutError(this.peer, limit, this.decoder.pendingBytes);
    this.reason = { kind: 'timeout', detail: `message not finished within ${limit} ms`, error };
    this.logger.warn({ peer: this.peer, code: error.code }, error.message);
    this.endGracefully(error.notice, { code: 1008, reason: 'message timeout' });
  }

  /** Issue 13, memory budget: this connection is among the costliest when the server is over it. */
  shed(detail: string, notice: string): void {
    if (this.connection.destroyed) return;
    this.reason = { kind: 'overload', detail };
    this.logger.warn({ peer: this.peer }, `${this.peer}: ${detail}; dropped`);
    // The notice goes out only if the socket takes it now: what is queued is what we must free.
    if (this.connection.writable && this.connection.bufferedBytes === 0) {
      this.connection.write(this.codec.encode(Buffer.from(notice, 'utf8')));
    }
    this.connection.destroy();
  }

  onEnd(): void {
    // DESIGN §7: a half-close still gets every reply before we close our side.
    this.reason ??= { kind: 'peer-closed', detail: 'peer closed' };
    if (this.phase !== Phase.OPEN) return;
    this.phase = Phase.INPUT_ENDED;
    let last: Buffer[];
    try {
      last = this.decoder.end();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.reason = { kind: 'protocol', detail: error.message, error };
      this.logger.warn({ peer: this.peer, err }, error.message);
      last = [];
    }
    if ((this.holds & Hold.REPLY) !== 0) {
      for (const m of last) this.backlog.push(m);
      return;
    }
    this.handle(last, 0);
  }

  onDrain(): void {
    if ((this.holds & Hold.WRITE) !== 0) {
      this.holds &= ~Hold.WRITE;
      this.resumeIfReady();
    }
    this.service.onDrain?.(this);
  }

  onFinish(): void {
    // DESIGN §7: at shutdown the server exits once output is flushed; it does not wait for the
    // peer to close its side (an idle client may never do so).
    if (this.reason?.kind === 'shutdown') this.connection.destroy();
  }

  onIdle(): void {
    const error = new IdleTimeoutError(this.peer, this.limits.idleTimeoutMs);
    this.reason ??= { kind: 'idle', detail: `idle for ${this.limits.idleTimeoutMs} ms`, error };
    if (this.phase === Phase.ENDING) {
      this.connection.destroy();
      return;
    }
    this.endGracefully(error.notice, { code: 1000, reason: 'idle timeout' });
  }

  onError(error: ConnectionError): void {
    // DESIGN §7: a peer that vanishes or breaks the protocol costs only its own connection.
    this.reason ??= { kind: error.kind, detail: error.detail, error: error.error };
  }

  onClose(): void {
    clearTimeout(this.lingerTimer);
    this.phase = Phase.ENDING;
    const reason = this.reason ?? { kind: 'peer-closed', detail: 'peer closed' };
    this.logger.info(
      {
        peer: this.peer,
        reason: reason.detail,
        durationMs: Date.now() - this.openedAt,
        messagesIn: this.messagesIn,
        bytesIn: this.connection.bytesRead,
        bytesOut: this.connection.bytesWritten,
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

  // The core.

  /**
   * Run the service over messages[start..]; gathers the synchronous replies into one write. When
   * `framed` is given, messages are all of it (Decoder.framedChunk) and start is 0.
   */
  private handle(messages: Buffer[], start: number, framed?: Buffer): void {
    // Replies are kept unencoded and framed together at the end (codec.encodeAll): one allocation
    // and one copy per reply instead of an encode() and a Buffer.concat() each (profile: 100x16).
    // While every reply is its own message (a service that answers in place, as upper does, or an
    // echo), none is collected: `same` counts them, and the list is made only if one differs.
    let replies: Buffer[] | undefined;
    let same = 0;
    for (let i = start; i < messages.length; i++) {
      if (this.connection.destroyed) return;
      this.messagesIn++;
      const message = messages[i]!;
      let reply: Reply | Promise<Reply>;
      try {
        reply = this.service.onMessage(message, this);
      } catch (err) {
        this.flushReplies(replies ?? messages.slice(start, start + same));
        this.serviceFailed(err);
        return;
      }
      if (isPromise(reply)) {
        this.flushReplies(replies ?? messages.slice(start, start + same));
        this.awaitReply(reply, messages, i + 1);
        return;
      }
      if (replies === undefined) {
        if (reply === message) {
          same++;
          continue;
        }
        replies = messages.slice(start, start + same);
      }
      if (reply != null) replies.push(toBuffer(reply));
    }
    if (replies !== undefined) this.flushReplies(replies);
    else if (same > 0) {
      // DESIGN §3: a frame's header is its body's length, and replies changed in place keep it; so
      // a chunk that was exactly these frames is already the encoding of their replies (no copy).
      if (framed !== undefined && !this.perMessage && this.connection.writable) {
        this.messagesOut += same;
        this.write(framed);
      } else this.flushReplies(messages.slice(start, start + same));
    }
    if (this.phase === Phase.INPUT_ENDED) {
      // After the services' own end of turn: the chat hub writes what it queued once per tick.
      setImmediate(() => this.endGracefully(undefined, CLOSE_NORMAL));
    }
  }

  private flushReplies(replies: Buffer[]): void {
    if (replies.length === 0 || !this.connection.writable) return;
    this.messagesOut += replies.length;
    if (this.perMessage) {
      if (!this.connection.writeAll(replies)) this.hold(Hold.WRITE);
      return;
    }
    // One write for a read's worth of replies: one syscall instead of one per message.
    this.write(this.codec.encodeAll(replies));
  }

  private awaitReply(promise: Promise<Reply>, messages: Buffer[], next: number): void {
    this.hold(Hold.REPLY);
    promise.then(
      (reply) => {
        this.holds &= ~Hold.REPLY;
        if (this.connection.destroyed) return;
        if (reply != null && this.connection.writable) {
          this.messagesOut++;
          this.write(this.codec.encode(toBuffer(reply)));
        }
        const rest = this.backlog.length === 0 ? messages : messages.slice(next).concat(this.backlog);
        const from = this.backlog.length === 0 ? next : 0;
        this.backlog = [];
        this.handle(rest, from);
        const awaiting = (this.holds & Hold.REPLY) !== 0;
        if (!awaiting && this.deferredError !== undefined) return this.protocolError(this.deferredError);
        this.resumeIfReady();
        if (!awaiting && this.reason?.kind === 'shutdown') this.endGracefully(undefined, CLOSE_SHUTDOWN);
      },
      (err: unknown) => {
        this.holds &= ~Hold.REPLY;
        this.serviceFailed(err);
      },
    );
  }

  private write(frame: Buffer): boolean {
    const ok = this.connection.write(frame);
    if (!ok) this.hold(Hold.WRITE);
    return ok;
  }

  private hold(reason: number): void {
    this.holds |= reason;
    this.connection.pause();
  }

  /** Read again unless something still holds input back. */
  private resumeIfReady(): void {
    if (this.holds !== 0 || this.inputHolds > 0 || this.phase === Phase.ENDING) return;
    this.connection.resume();
  }

  private endGracefully(notice: string | undefined, close: CloseFrame): void {
    if (this.phase === Phase.ENDING || this.connection.destroyed) return;
    if (notice !== undefined && this.connection.writable) {
      this.connection.write(this.codec.encode(Buffer.from(notice, 'utf8')));
    }
    this.phase = Phase.ENDING;
    this.connection.end(close);
    // A peer that never reads would hold the connection open forever: give it a deadline.
    this.lingerTimer = setTimeout(() => this.connection.destroy(), this.limits.lingerMs);
    this.lingerTimer.unref();
  }

  /** Issue 13: a TLS or HTTP client on a port of another protocol is closed at once. */
  private refuseForeign(what: string): void {
    const detail = `not a ${this.service.name} client: ${what} on a ${this.service.name} port`;
    this.reason = { kind: 'protocol', detail };
    this.logger.warn({ peer: this.peer }, `${this.peer}: ${detail}; closed`);
    this.connection.destroy();
  }

  private protocolError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.reason = { kind: 'protocol', detail: error.message, error };
    this.logger.warn(
      { peer: this.peer, code: (error as SwitchboardError).code },
      `${this.peer}: ${error.message}`,
    );
    this.endGracefully((error as SwitchboardError).notice, CLOSE_POLICY);
  }

  private serviceFailed(err: unknown): void {
    const error =
      err instanceof SwitchboardError
        ? err
        : new SwitchboardError(
            ErrorCode.SERVICE_FAILED,
            `service ${this.service.name} failed: ${failureMessage(err)}`,
            { cause: err, peer: this.peer },
          );
    this.reason = { kind: 'error', detail: error.message, error };
    this.logger.error({ peer: this.peer, err }, `${this.peer}: ${error.message}`);
    this.endGracefully(error.notice ?? 'error: internal server error; closing', CLOSE_INTERNAL_ERROR);
  }
}
