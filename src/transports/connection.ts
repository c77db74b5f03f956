/**
 * The seam between transports and the session core (DESIGN §1, STYLE "Seams"): a connection is
 * an interface, not a socket. TCP, Unix and TLS sockets carry bytes; WebSocket carries messages.
 * The session core reads, writes, pauses and ends through this and never asks what is underneath.
 */
import type { TransportName } from './transport.js';

/** What a connection tells the one reading it. Called with `this` bound to the handler. */
export interface ConnectionHandler {
  /** Bytes (stream connections) or one whole message (message connections). */
  onData(data: Buffer): void;
  /** The peer will send nothing more (a half-close); our side may still write. */
  onEnd(): void;
  /** The outbound buffer, once past its high-water mark, has emptied. */
  onDrain(): void;
  /** Everything we wrote, the end included, has been handed to the kernel. */
  onFinish(): void;
  /** No traffic for the idle timeout set with `setIdleTimeout()`. */
  onIdle(): void;
  /** Why the connection failed (reset, protocol error of the transport); 'close' follows. */
  onError(error: ConnectionError): void;
  /** The connection is gone. Called once. */
  onClose(): void;
}

/** An error of the transport itself, with the kind of close it means. */
export interface ConnectionError {
  readonly kind: 'reset' | 'protocol' | 'error';
  /** A short phrase a person can read: "connection reset by peer", "invalid UTF-8 (close 1007)". */
  readonly detail: string;
  readonly error: Error;
}

/** How a message connection says goodbye (WebSocket close code and reason); streams ignore it. */
export interface CloseFrame {
  readonly code: number;
  readonly reason: string;
}

export interface Connection {
  readonly transport: TransportName;
  /** `stream`: a codec delimits messages; `message`: every `onData` is one message. */
  readonly kind: 'stream' | 'message';
  /** Who is on the other side: `127.0.0.1:50312`, `unix:/tmp/sb.sock#7`. */
  readonly peer: string;
  /** The peer's IP address, for per-address limits; undefined where there is none (unix). */
  readonly remoteAddress: string | undefined;
  /** Start delivering to `handler`. Once. */
  attach(handler: ConnectionHandler): void;
  /** Write one encoded frame (stream) or one message. False when past the high-water mark. */
  write(data: Buffer): boolean;
  /** Several frames or messages in one go (one syscall where the transport can), never copied. */
  writeAll(data: readonly Buffer[]): boolean;
  /** Stop reading (the peer's kernel buffers fill and push back on it). */
  pause(): void;
  resume(): void;
  /** Bytes written but not yet taken by the operating system. */
  readonly bufferedBytes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Neither destroyed nor ended by us: writes still go out. */
  readonly writable: boolean;
  readonly destroyed: boolean;
  /** Finish gracefully after what is queued; `onFinish` follows once flushed. */
  end(close?: CloseFrame): void;
  /** Drop at once, discarding what is queued. */
  destroy(): void;
  /** Call `onIdle` after this long without traffic; 0 turns it off. */
  setIdleTimeout(ms: number): void;
}
