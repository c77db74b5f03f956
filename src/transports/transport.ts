/**
 * A transport is a descriptor looked up by URL scheme (DESIGN §1): its kind, its schemes, the
 * options it understands, how it listens and how it connects. Adding one touches this folder and
 * the registry, not `if (transport === ...)` checks across the tree.
 */
import type { Connection } from './connection.js';
import type { Endpoint } from './endpoint.js';
import type { HttpRequestHandler } from './http-host.js';

export const TRANSPORT_NAMES = ['tcp', 'udp', 'unix', 'tls', 'ws', 'wss'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

/**
 * `stream`: bytes in and out, a framing codec delimits messages (tcp, unix, tls).
 * `message`: the transport delimits messages itself (ws, wss: one WebSocket message = one message).
 * `datagram`: one datagram = one message, no connection (udp).
 */
export type TransportKind = 'stream' | 'datagram' | 'message';

/** Where a listener is bound, port 0 resolved: no parsing of URLs to get a port back. */
export interface BoundAddress {
  readonly transport: TransportName;
  /** Host for IP transports (no brackets); '' for unix. */
  readonly host: string;
  /** The port actually bound; 0 for unix. */
  readonly port: number;
  /** The socket path for unix, the HTTP path for ws/wss (`/chat`), '' otherwise. */
  readonly path: string;
  /** The address as a URL without query: `tcp://127.0.0.1:41234`, `ws://127.0.0.1:8090/chat`. */
  readonly url: string;
}

/** A listener's URL parameters, each taken by whoever understands it; the server reports the rest. */
export interface ParamReader {
  /** The value of `name`, marking it as understood. */
  take(name: string): string | undefined;
  /** A whole number from `min` to `max`, or `fallback` when absent. @throws InvalidOptionError */
  takeCount(name: string, fallback: number, min?: number, max?: number): number;
}

/** Options of `serve()` a transport may use as defaults for its own URL parameters. */
export interface TransportServeOptions {
  /** PEM certificate file for tls/wss listeners without `?cert=`. */
  tlsCert?: string;
  /** PEM private key file for tls/wss listeners without `?key=`. */
  tlsKey?: string;
  /** Close a TLS connection whose handshake is not done within this many ms. @default 10000 */
  tlsHandshakeTimeoutMs?: number;
}

/** What a listener tells its owner: each accepted connection, and connections refused on the way in. */
export interface ListenHooks {
  onConnection(connection: Connection): void;
  /** A peer that failed before it became a connection (TLS handshake, refused upgrade): log it. */
  onRejected?(peer: string, error: Error): void;
  /**
   * ws/wss: plain HTTP requests on the listener's port (a page at `/`), tried before the 404/426
   * answers. The hook for the web chat page (DESIGN §6).
   */
  onHttpRequest?: HttpRequestHandler | undefined;
}

export interface Listening {
  readonly address: BoundAddress;
  /**
   * Connections this listener refused because the process ran out of file descriptors
   * (see descriptors.ts); for metrics. Absent where the transport does not count them.
   */
  readonly refusedForDescriptors?: number;
  /** Stop accepting; open connections are the caller's to close. Idempotent. */
  close(): Promise<void>;
}

/** A listener whose options are resolved and checked, not yet bound. */
export interface PreparedListener {
  /** @throws AddressInUseError | SocketInUseError | PermissionDeniedError */
  listen(hooks: ListenHooks): Promise<Listening>;
}

/** Options of a client connection; a transport takes the ones it understands. */
export interface TransportConnectOptions {
  /** Give up connecting (handshakes included) after this long. @default 10000 */
  timeoutMs?: number;
  /** PEM file of the CA to trust instead of the system's (tls, wss); the URL's `?ca=` also works. */
  ca?: string;
  /** Do not verify the server's certificate or host name (tls, wss). @default false */
  insecure?: boolean;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** tcp, unix, tls, ws, wss: connections, each a `Connection` the session core runs over. */
export interface ConnectionTransport {
  readonly name: TransportName;
  readonly kind: 'stream' | 'message';
  /** Endpoint parameters a client understands besides `framing` (e.g. `ca`). */
  readonly connectParams: readonly string[];
  /**
   * Take this transport's own parameters (`cert`, `key`, `origins`, …) and check them, before
   * anything is bound. @throws InvalidOptionError | TlsConfigError
   */
  prepare(endpoint: Endpoint, params: ParamReader, defaults: TransportServeOptions): PreparedListener;
  /** @throws ConnectionRefusedError | ConnectTimeoutError | TLS and WebSocket handshake errors */
  connect(endpoint: Endpoint, options: TransportConnectOptions): Promise<Connection>;
}
