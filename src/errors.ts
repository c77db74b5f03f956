/**
 * Typed errors with stable codes. Every code has one line in docs/errors.md.
 *
 * DESIGN §1: every error that reaches a user says what happened, to which peer, and what to do.
 * Errors that the peer should hear about carry `notice`: the one line to send before closing, so the
 * connection layer can say it without knowing which codec or limit failed.
 */

export const ErrorCode = {
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  TRUNCATED_FRAME: 'TRUNCATED_FRAME',
  INVALID_ENDPOINT: 'INVALID_ENDPOINT',
  INVALID_OPTION: 'INVALID_OPTION',
  UNKNOWN_SERVICE: 'UNKNOWN_SERVICE',
  ADDRESS_IN_USE: 'ADDRESS_IN_USE',
  SOCKET_IN_USE: 'SOCKET_IN_USE',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  CONNECTION_REFUSED: 'CONNECTION_REFUSED',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  CONNECTION_RESET: 'CONNECTION_RESET',
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  MESSAGE_TIMEOUT: 'MESSAGE_TIMEOUT',
  TOO_MANY_FROM_ADDRESS: 'TOO_MANY_FROM_ADDRESS',
  DATAGRAM_TOO_LARGE: 'DATAGRAM_TOO_LARGE',
  SERVICE_FAILED: 'SERVICE_FAILED',
  UNSUPPORTED: 'UNSUPPORTED',
  TLS_CONFIG: 'TLS_CONFIG',
  TLS_UNTRUSTED: 'TLS_UNTRUSTED',
  TLS_HOST_MISMATCH: 'TLS_HOST_MISMATCH',
  TLS_HANDSHAKE: 'TLS_HANDSHAKE',
  WEBSOCKET_HANDSHAKE: 'WEBSOCKET_HANDSHAKE',
  WEBSOCKET_CLOSED: 'WEBSOCKET_CLOSED',
  PATH_NOT_FOUND: 'PATH_NOT_FOUND',
  OUT_OF_DESCRIPTORS: 'OUT_OF_DESCRIPTORS',
  METRICS_UNREACHABLE: 'METRICS_UNREACHABLE',
  BACKPLANE_UNAVAILABLE: 'BACKPLANE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface SwitchboardErrorOptions extends ErrorOptions {
  /** The peer (`127.0.0.1:5000`, a socket path) the error concerns, when there is one. */
  peer?: string | undefined;
  /** One line to send to the peer before closing, when the peer should be told. */
  notice?: string | undefined;
}

export class SwitchboardError extends Error {
  readonly peer: string | undefined;
  readonly notice: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: SwitchboardErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.peer = options?.peer;
    this.notice = options?.notice;
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A length-prefixed header announced more bytes than the limit; nothing was allocated for it. */
export class FrameTooLargeError extends SwitchboardError {
  /** Messages the same chunk completed before the bad header: they are still served. */
  decoded: Buffer[] = [];

  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(
      ErrorCode.FRAME_TOO_LARGE,
      `frame of ${length} bytes exceeds the limit of ${formatBytes(limit)}; ` +
        `raise maxFrame (?maxFrame=N) or check that both sides use the same framing`,
      { notice: `error: frame of ${length} bytes exceeds the limit of ${limit} bytes; closing` },
    );
  }
}

/** A line grew past the limit before its `\n` arrived. */
export class LineTooLongError extends SwitchboardError {
  /** Messages the same chunk completed before the long line: they are still served. */
  decoded: Buffer[] = [];

  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(
      ErrorCode.LINE_TOO_LONG,
      `line of more than ${limit} bytes without a newline exceeds the limit of ${formatBytes(limit)}; ` +
        `raise maxLine (?maxLine=N) or use a length-prefixed framing for large messages`,
      { notice: `error: line longer than ${limit} bytes; closing` },
    );
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends SwitchboardError {
  constructor(
    readonly received: number,
    readonly expected: number | undefined,
  ) {
    super(
      ErrorCode.TRUNCATED_FRAME,
      expected === undefined
        ? `stream ended inside a frame header (${received} of 4 header bytes); the peer closed mid-message`
        : `stream ended after ${received} of ${expected} frame bytes; the peer closed mid-message`,
    );
  }
}

export class InvalidEndpointError extends SwitchboardError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(
      ErrorCode.INVALID_ENDPOINT,
      `invalid endpoint '${input}': ${reason}; ` +
        `expected e.g. tcp://127.0.0.1:8088, udp://127.0.0.1:8088, unix:///tmp/sb.sock, tls://127.0.0.1:8443 or ws://127.0.0.1:8090/chat`,
    );
  }
}

/** A Unix socket path longer than the kernel keeps (it would be bound silently cut). Usage: exit 2. */
export class SocketPathTooLongError extends InvalidEndpointError {
  constructor(
    input: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      input,
      `the socket path is ${bytes} bytes, over the ${limit}-byte limit of Unix socket paths ` +
        `(the kernel would bind a silently cut path); use a shorter path, e.g. under /tmp or $XDG_RUNTIME_DIR`,
    );
  }
}

export class InvalidOptionError extends SwitchboardError {
  constructor(message: string) {
    super(ErrorCode.INVALID_OPTION, message);
  }
}

export class UnknownServiceError extends SwitchboardError {
  constructor(
    readonly service: string,
    known: readonly string[],
  ) {
    super(ErrorCode.UNKNOWN_SERVICE, `unknown service '${service}'; choose one of: ${known.join(', ')}`);
  }
}

export class AddressInUseError extends SwitchboardError {
  constructor(address: string, cause?: unknown) {
    super(ErrorCode.ADDRESS_IN_USE, `${address} is already in use; pick another port or use :0`, {
      cause,
      peer: address,
    });
  }
}

/** A Unix socket path that a live server still answers on. */
export class SocketInUseError extends SwitchboardError {
  constructor(path: string) {
    super(ErrorCode.SOCKET_IN_USE, `${path} is in use by a running server; stop it or choose another path`, {
      peer: path,
    });
  }
}

/** A Unix socket path whose directory does not exist (the OS says "permission denied"). */
export class PathNotFoundError extends SwitchboardError {
  constructor(
    path: string,
    readonly directory: string,
    cause?: unknown,
  ) {
    super(
      ErrorCode.PATH_NOT_FOUND,
      `cannot create ${path}: directory ${directory} does not exist; create it (mkdir -p ${directory}) or choose another path`,
      { cause, peer: path },
    );
  }
}

export class PermissionDeniedError extends SwitchboardError {
  constructor(address: string, cause?: unknown) {
    super(
      ErrorCode.PERMISSION_DENIED,
      `permission denied for ${address}; use a port above 1023 or a path you can write`,
      { cause, peer: address },
    );
  }
}

export class ConnectionRefusedError extends SwitchboardError {
  constructor(address: string, cause?: unknown) {
    super(
      ErrorCode.CONNECTION_REFUSED,
      `connection to ${address} refused; is the server running? (start one with: switchboard serve)`,
      { cause, peer: address },
    );
  }
}

export class ConnectTimeoutError extends SwitchboardError {
  constructor(address: string, ms: number) {
    super(
      ErrorCode.CONNECT_TIMEOUT,
      `no answer from ${address} within ${ms} ms; check the address, or raise --connect-timeout`,
      { peer: address },
    );
  }
}

export class ConnectionClosedError extends SwitchboardError {
  constructor(peer: string, detail = 'the connection closed') {
    super(ErrorCode.CONNECTION_CLOSED, `${peer}: ${detail}`, { peer });
  }
}

export class ConnectionResetError extends SwitchboardError {
  constructor(peer: string, cause?: unknown) {
    super(ErrorCode.CONNECTION_RESET, `${peer}: connection reset by peer`, { cause, peer });
  }
}

export class RequestTimeoutError extends SwitchboardError {
  constructor(peer: string, ms: number) {
    super(
      ErrorCode.REQUEST_TIMEOUT,
      `${peer}: no reply within ${ms} ms; the server may be overloaded or the framing may not match`,
      { peer },
    );
  }
}

export class TooManyConnectionsError extends SwitchboardError {
  constructor(peer: string, limit: number) {
    super(
      ErrorCode.TOO_MANY_CONNECTIONS,
      `${peer}: refused, ${limit} connections already open (maxConnections)`,
      { peer, notice: `error: server full (${limit} connections); try again later` },
    );
  }
}

/** Issue 13: one address may hold at most `maxPerAddress` connections of a listener. */
export class TooManyFromAddressError extends SwitchboardError {
  constructor(peer: string, address: string, limit: number) {
    super(
      ErrorCode.TOO_MANY_FROM_ADDRESS,
      `${peer}: refused, ${address} already has ${limit} connections open (maxPerAddress)`,
      { peer, notice: `error: too many connections from ${address} (${limit}); close some and try again` },
    );
  }
}

/** The process is out of file descriptors: new connections are refused until some close. Logged once per episode. */
export class OutOfDescriptorsError extends SwitchboardError {
  constructor(
    readonly inUse: number,
    readonly limit: number,
    readonly hardLimit: number | undefined,
  ) {
    const raise =
      hardLimit !== undefined && hardLimit > limit
        ? `raise it: ulimit -n ${hardLimit} (the hard limit) before starting`
        : 'raise it (ulimit -n N, as root or with a higher hard limit; LimitNOFILE= in a systemd unit, --ulimit nofile= for Docker)';
    super(
      ErrorCode.OUT_OF_DESCRIPTORS,
      `out of file descriptors: ${inUse} of ${limit} in use (ulimit -n ${limit}); ` +
        `refusing new connections on every listener until some close; ${raise}, or lower --max-connections`,
    );
  }
}

export class IdleTimeoutError extends SwitchboardError {
  constructor(peer: string, ms: number) {
    super(ErrorCode.IDLE_TIMEOUT, `${peer}: idle for ${ms} ms (idleTimeout); closing`, {
      peer,
      notice: `error: idle for ${ms} ms; closing`,
    });
  }
}

/** Issue 13: a message that has started must finish within `messageTimeout` (slowloris). */
export class MessageTimeoutError extends SwitchboardError {
  constructor(peer: string, ms: number, pendingBytes: number) {
    super(
      ErrorCode.MESSAGE_TIMEOUT,
      `${peer}: a message begun ${ms} ms ago is still unfinished (${pendingBytes} bytes so far; messageTimeout); closing`,
      { peer, notice: `error: message not finished within ${ms} ms; closing` },
    );
  }
}

export class DatagramTooLargeError extends SwitchboardError {
  constructor(
    readonly length: number,
    peer?: string,
  ) {
    super(
      ErrorCode.DATAGRAM_TOO_LARGE,
      `${peer === undefined ? '' : `${peer}: `}datagram of ${length} bytes exceeds the UDP maximum of ${MAX_UDP_PAYLOAD} bytes; ` +
        `use TCP with a length-prefixed framing for large messages`,
      { peer },
    );
  }
}

export class UnsupportedError extends SwitchboardError {
  constructor(message: string) {
    super(ErrorCode.UNSUPPORTED, message);
  }
}

/** A tls/wss listener's certificate or key cannot be used; the message names the file. */
export class TlsConfigError extends SwitchboardError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.TLS_CONFIG, message, { cause });
  }
}

/** The server's certificate is not signed by a CA we trust (self-signed, unknown CA, expired). */
export class TlsUntrustedError extends SwitchboardError {
  constructor(peer: string, why: string, cause?: unknown) {
    super(
      ErrorCode.TLS_UNTRUSTED,
      `certificate of ${peer} is not trusted (${why}); pass --ca FILE or --insecure`,
      { cause, peer },
    );
  }
}

/** The server's certificate is valid but names another host. */
export class TlsHostMismatchError extends SwitchboardError {
  constructor(peer: string, host: string, detail: string, cause?: unknown) {
    super(
      ErrorCode.TLS_HOST_MISMATCH,
      `certificate of ${peer} is not valid for ${host} (${detail}); connect by a name the certificate lists, or pass --insecure`,
      { cause, peer },
    );
  }
}

/** A TLS handshake failed or did not finish in time (plain TCP on a TLS port, or the reverse). */
export class TlsHandshakeError extends SwitchboardError {
  constructor(peer: string, detail: string, cause?: unknown) {
    super(ErrorCode.TLS_HANDSHAKE, `${peer}: TLS handshake failed: ${detail}`, { cause, peer });
  }
}

/** The server answered the WebSocket upgrade with something else than 101 (404, 403, 426). */
export class WebSocketHandshakeError extends SwitchboardError {
  constructor(peer: string, detail: string, cause?: unknown) {
    super(ErrorCode.WEBSOCKET_HANDSHAKE, `${peer}: WebSocket upgrade refused: ${detail}`, { cause, peer });
  }
}

/** The WebSocket peer closed with a code other than a normal close (1000, 1001). */
export class WebSocketClosedError extends SwitchboardError {
  constructor(
    peer: string,
    readonly closeCode: number,
    reason: string,
  ) {
    super(
      ErrorCode.WEBSOCKET_CLOSED,
      `${peer}: closed with WebSocket code ${closeCode}${reason === '' ? '' : ` (${reason})`}`,
      { peer },
    );
  }
}

/** `--metrics` / `top` URL that is not `http://HOST:PORT` (usage, exit 2). */
export class MetricsUrlError extends SwitchboardError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(
      ErrorCode.INVALID_ENDPOINT,
      `invalid metrics URL '${input}': ${reason}; expected http://HOST:PORT, e.g. http://127.0.0.1:9464`,
    );
  }
}

/** `switchboard top` could not read the metrics endpoint (not running, wrong port, not switchboard). */
export class MetricsUnreachableError extends SwitchboardError {
  constructor(url: string, detail: string, cause?: unknown) {
    super(
      ErrorCode.METRICS_UNREACHABLE,
      `cannot read metrics at ${url}: ${detail}; is the server running with --metrics ${url}?`,
      { cause, peer: url },
    );
  }
}

/** Largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IP header). */
export const MAX_UDP_PAYLOAD = 65_507;

/** Translate an OS error from listen() into a typed error naming the address. */
export function listenError(address: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new AddressInUseError(address, err);
  if (code === 'EACCES' || code === 'EPERM') return new PermissionDeniedError(address, err);
  return err instanceof Error ? err : new Error(String(err));
}

/** Translate an OS error from connect() into a typed error naming the peer. */
export function connectError(address: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return new ConnectionRefusedError(address, err);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionResetError(address, err);
  if (code === 'EACCES' || code === 'EPERM') return new PermissionDeniedError(address, err);
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The backplane (Redis, the cluster primary) could not do what was asked in time: a line was not
 * sequenced, so it was sent nowhere (DESIGN §8: never delivered to one node only).
 */
export class BackplaneUnavailableError extends SwitchboardError {
  constructor(
    /** `redis://127.0.0.1:6379`, or `the cluster primary`. */
    readonly backplane: string,
    detail: string,
    cause?: unknown,
  ) {
    super(ErrorCode.BACKPLANE_UNAVAILABLE, `backplane ${backplane} unavailable: ${detail}`, { cause });
  }
}
