/**
 * The service layer (DESIGN §1, §4): messages in, replies or broadcasts out. A service never sees a
 * socket, only a `Session`, so the same service runs over TCP, Unix sockets, UDP, TLS and
 * WebSocket, under any framing.
 */
import type { Codec, CodecName, FramingName } from '../framing/codec.js';
import type { Backplane } from '../backplane/backplane.js';
import type { TransportName } from '../transports/transport.js';

export type { TransportName };

/**
 * How a session's messages are delimited: a stream framing, `message` (one WebSocket message each)
 * or `datagram` (one datagram each).
 */
export type SessionFraming = CodecName | 'datagram';

/** Why a session ended, for the close log line and for services (the hub announces it). */
export interface CloseReason {
  readonly kind:
    | 'peer-closed'
    | 'reset'
    | 'error'
    | 'idle'
    | 'server-full'
    | 'shutdown'
    | 'closed-by-service'
    | 'protocol'
    | 'timeout'
    | 'overload';
  /** A short phrase a person can read: "peer closed", "idle for 30000 ms", "too slow (…)". */
  readonly detail: string;
  readonly error?: Error | undefined;
}

/** One peer, as a service sees it. */
export interface Session {
  /** Unique within the process. */
  readonly id: number;
  /** Who is on the other side: `127.0.0.1:50312`, or `unix:/tmp/sb.sock#7`. */
  readonly peer: string;
  readonly transport: TransportName;
  readonly framing: SessionFraming;
  /** Encodes messages for this session's framing (identity for datagrams). */
  readonly codec: Codec;
  /** Encode and send one message. Returns false when the outbound buffer is past its high-water mark. */
  send(message: Buffer | string): boolean;
  /** Send bytes already encoded with this session's codec; a broadcast encodes once for everyone. */
  sendEncoded(frame: Buffer): boolean;
  /** Send several encoded frames in one write (corked), without copying them into one buffer. */
  sendFrames(frames: readonly Buffer[]): boolean;
  /** Bytes handed to the session but not yet taken by the operating system. */
  readonly bufferedBytes: number;
  /**
   * Close gracefully: send `notice` (one message) if given, flush what is queued, then close.
   * `detail` is the reason logged and reported to `onClose`.
   */
  close(notice?: string, detail?: string): void;
  /** Drop the connection at once, discarding what is queued. */
  destroy(detail?: string, error?: Error): void;
  readonly closed: boolean;
  /**
   * Stop reading from this peer until `resumeInput()` has been called as many times: the hub holds
   * back a sender while a recipient catches up (DESIGN §6). Messages already decoded still arrive.
   */
  pauseInput(): void;
  resumeInput(): void;
}

export type Reply = Buffer | Uint8Array | string | null | undefined | void;

/**
 * A custom service is a plain function: the reply is sent back; `undefined` sends nothing. The
 * message may be a view into the connection's read buffer: the service may change it in place
 * (the session never reads it again), and must copy it to keep it past the call.
 */
export type MessageHandler = (message: Buffer, session: Session) => Reply | Promise<Reply>;

export interface Service {
  readonly name: string;
  /** The framing a stream endpoint uses when its URL names none. @default 'raw' */
  readonly defaultFraming?: FramingName;
  /** Whether the service can run over UDP, one datagram per message. @default true */
  readonly datagrams?: boolean;
  onMessage: MessageHandler;
  /** A stream session opened (not called for UDP, which has no sessions beyond one datagram). */
  onOpen?(session: Session): void;
  /** A stream session closed, with why. */
  onClose?(session: Session, reason: CloseReason): void;
  /** A stream session's outbound buffer, once past its high-water mark, has emptied. */
  onDrain?(session: Session): void;
  /**
   * Looks at a stream session's first bytes and names the other protocol they belong to (`'TLS
   * handshake'`), if any: the connection is then closed at once, before anything is served.
   */
  foreignProtocol?(firstBytes: Buffer): string | undefined;
  /** Resolves once the service can take sessions (the chat hub: its backplane is connected). */
  ready?(): Promise<void>;
  /** The server is shutting down: tell peers before their sessions are closed. */
  shutdown?(): void | Promise<void>;
  /** Every session of the server is closed: let go of what the service holds (backplane state). */
  stop?(): Promise<void>;
  /** Figures for the metrics, read at scrape time; counters the service keeps anyway. */
  stats?(): ServiceStats;
}

/**
 * A service's own figures for the metrics (DESIGN §9), read when scraped. Only the chat hub has
 * any so far.
 */
export interface ServiceStats {
  /** Whose figures these are: listeners sharing one hub return the same source, counted once. */
  readonly source: object;
  readonly service: 'chat';
  readonly members: number;
  readonly rooms: number;
  /** Members gone, by reason (`slow`, `foreign`, `quit`, `shutdown`, `peer-closed`, …). */
  readonly disconnects: Readonly<Record<string, number>>;
  /** Times a sender was held back for a congested recipient, and for how long in total. */
  readonly stalls: number;
  readonly stalledMs: number;
  readonly longestStallMs: number;
  /** Congested writes that held nobody back: the recipient had stopped reading. */
  readonly overBudget: number;
  /** Lines held back because their sender was over the flood rate. */
  readonly floodDelays: number;
  /** Room lines queued for members, one per recipient. */
  readonly deliveries: number;
  /** Lines refused to their senders because the backplane could not number them. */
  readonly notSent: number;
  /** The most any member's socket holds unsent now. */
  readonly maxMemberQueueBytes: number;
}

/** Reads a listener's query parameters; the server reports any parameter nobody took. */
export interface ServiceParams {
  /** The value of `name`, marking it as understood. */
  take(name: string): string | undefined;
  /** The server's backplane (`serve({ backplane })`, `--backplane`), for services that share state. */
  readonly backplane?: Backplane | undefined;
}

/** Builds a service for one listener from that listener's query parameters. */
export type ServiceFactory = (params: ServiceParams) => Service;

export function toBuffer(reply: Buffer | Uint8Array | string): Buffer {
  if (typeof reply === 'string') return Buffer.from(reply, 'utf8');
  if (Buffer.isBuffer(reply)) return reply;
  return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
}

/** Wrap a plain function as a service. */
export function serviceFromHandler(handler: MessageHandler, name = handler.name || 'custom'): Service {
  return { name, onMessage: handler };
}
