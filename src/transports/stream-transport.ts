import type { Socket } from 'node:net';
import type { Endpoint } from './endpoint.js';

/** A listening stream endpoint. */
export interface StreamListener {
  /** The endpoint actually bound, with port 0 resolved: `tcp://127.0.0.1:41234`. */
  readonly url: string;
  /** Stop accepting; open connections are the caller's to close. Idempotent. */
  close(): Promise<void>;
  /**
   * Connections this listener refused because the process ran out of file descriptors
   * (see descriptors.ts); for metrics.
   */
  readonly refusedForDescriptors: number;
}

export interface ConnectOptions {
  /** Give up connecting after this long. @default 10000 */
  timeoutMs?: number;
}

/** Bytes in, bytes out, connect/accept: TCP and Unix sockets (later TLS) look the same from above. */
export interface StreamTransport {
  /**
   * @param onConnection called with each accepted socket and a label naming its peer.
   * @throws AddressInUseError | SocketInUseError | PermissionDeniedError
   */
  listen(endpoint: Endpoint, onConnection: (socket: Socket, peer: string) => void): Promise<StreamListener>;
  /** @throws ConnectionRefusedError | ConnectTimeoutError */
  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Socket>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
