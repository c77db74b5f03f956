import { EventEmitter } from 'node:events';
import {
  ConnectionClosedError,
  InvalidOptionError,
  RequestTimeoutError,
  UnsupportedError,
} from '../errors.js';
import { FRAMING_NAMES, type FramingName, type FramingOptions } from '../framing/codec.js';
import { createCodec } from '../framing/registry.js';
import { messageCodec } from '../session/message-codec.js';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../transports/endpoint.js';
import { transportFor, type Transport } from '../transports/registry.js';
import { toBuffer, type SessionFraming } from '../services/service.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../transports/transport.js';
import { oneOf, wholeNumber } from '../validate.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { ConnectionLink } from './connection-link.js';
import { DatagramLink } from './datagram-link.js';
import type { Link, LinkEvents } from './link.js';

/** Replies held for a consumer before the client stops reading (backpressure, not memory). */
export const DEFAULT_INBOX_LIMIT = 1024;
/** How long request() waits for its reply. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface ClientOptions extends FramingOptions {
  /** Framing for stream transports; a URL's `?framing=` is used when this is absent. @default 'raw' */
  framing?: FramingName;
  /** Give up connecting (TLS and WebSocket handshakes included) after this long. @default 10000 */
  connectTimeoutMs?: number;
  /** tls, wss: PEM file of the CA that signed the server's certificate; else the system CAs. */
  ca?: string;
  /**
   * tls, wss: do not verify the server's certificate or host name. Anyone on the path can then read
   * and change the traffic; for tests against a self-signed server only. @default false
   */
  insecure?: boolean;
  /** How long request() waits for its reply; 0 = forever. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * Reconnect with exponential backoff when an established connection is lost. Requests in flight
   * are rejected (they may or may not have been served); incoming messages keep flowing.
   * @default false
   */
  reconnect?: boolean | BackoffOptions;
  /** Unclaimed messages held before the client pauses reading. @default 1024 */
  inboxLimit?: number;
  /**
   * More endpoints of the same service (other nodes of a chat hub on one backplane, say). Connecting
   * tries the URL given to `connect()` and then these, in turn, until one answers; with `reconnect`
   * each attempt after a loss goes to the next of them, round robin, with the backoff between
   * attempts. `url` names the endpoint in use. @default []
   */
  alternates?: readonly string[];
}

export interface ClientEvents {
  /** A message no request() claimed. */
  message: [message: Buffer];
  /** send() returned false earlier and the connection can take more now. */
  drain: [];
  /** The connection was lost; with reconnect on, `reconnecting` follows. */
  disconnect: [error: Error | undefined];
  /** The next attempt, to `url` (round robin over the URL and `alternates`), after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number; url: string }];
  reconnect: [];
  /** The client is finished: closed by us, by the server, or out of reconnect attempts. */
  close: [error: Error | undefined];
}

/** One endpoint the client may connect to, with what its URL resolves to. */
interface Target {
  readonly endpoint: Endpoint;
  readonly url: string;
  readonly transport: Transport;
  readonly framing: SessionFraming;
}

interface PendingRequest {
  resolve(reply: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

type State = 'open' | 'ending' | 'reconnecting' | 'closed';

/**
 * A connection to a switchboard (or any) server. Replies are matched to request() calls in order;
 * messages no request claims go to 'message' listeners and to async iteration.
 */
export class Client extends EventEmitter<ClientEvents> implements AsyncIterable<Buffer> {
  private link!: Link;
  /** The endpoint in use (or being tried): an index into `targets`. */
  private current = 0;
  private state: State = 'open';
  private readonly pending: PendingRequest[] = [];
  private readonly inbox: Buffer[] = [];
  private readonly waiters: Array<(result: IteratorResult<Buffer>) => void> = [];
  private iterating = 0;
  private paused = false;
  private closeError: Error | undefined;
  private readonly backoff: Backoff | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  /** Resolves when the client is finished, whatever the reason. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  private constructor(
    private readonly targets: readonly Target[],
    private readonly options: ClientOptions,
  ) {
    super();
    const reconnect = options.reconnect;
    this.backoff = reconnect ? new Backoff(reconnect === true ? {} : reconnect) : undefined;
  }

  /** The endpoint in use: after a reconnect, maybe one of `alternates`. */
  get url(): string {
    return this.target.url;
  }

  /** How messages are delimited on the endpoint in use. */
  get framing(): SessionFraming {
    return this.target.framing;
  }

  get peer(): string {
    return this.link.peer;
  }

  private get target(): Target {
    return this.targets[this.current]!;
  }

  /**
   * Connect to an endpoint (see `connect()`, which is this).
   * @throws InvalidEndpointError | InvalidOptionError | ConnectionRefusedError | ConnectTimeoutError
   */
  static async connect(url: string, options: ClientOptions = {}): Promise<Client> {
    const targets = [url, ...(options.alternates ?? [])].map((u) => resolveTarget(u, options.framing));
    const resolved: ClientOptions = {
      ...options,
      connectTimeoutMs: wholeNumber(
        'connectTimeoutMs',
        options.connectTimeoutMs,
        DEFAULT_CONNECT_TIMEOUT_MS,
        {
          min: 1,
          unit: 'ms',
        },
      ),
      requestTimeoutMs: wholeNumber(
        'requestTimeoutMs',
        options.requestTimeoutMs,
        DEFAULT_REQUEST_TIMEOUT_MS,
        { unit: 'ms' },
      ),
      inboxLimit: wholeNumber('inboxLimit', options.inboxLimit, DEFAULT_INBOX_LIMIT, { min: 1 }),
    };
    const client = new Client(targets, resolved);
    // Each endpoint once, in the order given; the first one's error if none answers.
    let first: unknown;
    for (let i = 0; i < targets.length; i++) {
      client.current = i;
      try {
        await client.open();
        return client;
      } catch (err) {
        first ??= err;
      }
    }
    client.current = 0;
    throw first;
  }

  private async open(): Promise<void> {
    const events: LinkEvents = {
      message: (m) => this.onMessage(m),
      close: (error) => this.onLinkClose(error),
      drain: () => this.emit('drain'),
    };
    const { transport, endpoint, framing } = this.target;
    if (transport.kind === 'datagram') {
      this.link = await DatagramLink.open(endpoint, events);
      return;
    }
    const codec = transport.kind === 'message' ? messageCodec : createCodec(framing, this.options);
    const connection = await transport.connect(endpoint, {
      ...(this.options.connectTimeoutMs !== undefined && { timeoutMs: this.options.connectTimeoutMs }),
      ...(this.options.ca !== undefined && { ca: this.options.ca }),
      ...(this.options.insecure !== undefined && { insecure: this.options.insecure }),
    });
    this.link = new ConnectionLink(connection, codec, events);
  }

  /** Send one message (encoded with the client's framing). False means: wait for the socket to drain. */
  send(message: Buffer | string): boolean {
    if (this.state !== 'open')
      throw new ConnectionClosedError(this.url, `cannot send: the client is ${this.state}`);
    return this.link.send(toBuffer(message));
  }

  /**
   * Send a message and resolve with its reply; replies are matched to requests in order.
   * @throws UnsupportedError in raw framing, where replies have no boundaries to match.
   * @throws RequestTimeoutError | ConnectionClosedError
   */
  request(message: Buffer | string): Promise<Buffer> {
    if (this.framing === 'raw') {
      return Promise.reject(
        new UnsupportedError(
          'request() needs message boundaries: raw replies may arrive split or merged; use framing line, len32be or len32le',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const entry: PendingRequest = { resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          // The reply may still come: keep its place in the queue so later replies stay matched.
          entry.resolve = () => undefined;
          reject(new RequestTimeoutError(this.url, timeoutMs));
        }, timeoutMs);
      }
      this.pending.push(entry);
      try {
        this.send(message);
      } catch (err) {
        this.pending.splice(this.pending.indexOf(entry), 1);
        clearTimeout(entry.timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Half-close: send nothing more, and resolve once the server has sent everything and closed. */
  async end(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'ending';
      this.link.end();
      if (this.target.transport.kind === 'datagram') this.link.destroy();
    }
    await this.closed;
  }

  /** Close now; requests in flight are rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'closed') {
      clearTimeout(this.reconnectTimer);
      const wasReconnecting = this.state === 'reconnecting';
      this.state = 'closed';
      if (wasReconnecting) this.finish(undefined);
      else this.link.destroy();
    }
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.iterating++;
    try {
      for (;;) {
        const next = this.inbox.shift();
        if (next !== undefined) {
          if (this.paused && this.inbox.length < this.inboxLimit / 2) {
            this.paused = false;
            this.link.resume();
          }
          yield next;
          continue;
        }
        if (this.state === 'closed') {
          if (this.closeError !== undefined) throw this.closeError;
          return;
        }
        const result = await new Promise<IteratorResult<Buffer>>((resolve) => this.waiters.push(resolve));
        if (result.done === true) continue; // re-check: closed, maybe with an error
        yield result.value;
      }
    } finally {
      this.iterating--;
    }
  }

  private get inboxLimit(): number {
    return this.options.inboxLimit ?? DEFAULT_INBOX_LIMIT;
  }

  private onMessage(message: Buffer): void {
    const request = this.pending.shift();
    if (request !== undefined) {
      clearTimeout(request.timer);
      request.resolve(message);
      return;
    }
    this.emit('message', message);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter({ value: message, done: false });
      return;
    }
    if (this.iterating === 0 && this.listenerCount('message') > 0) return;
    this.inbox.push(message);
    if (!this.paused && this.inbox.length >= this.inboxLimit) {
      this.paused = true;
      this.link.pause();
    }
  }

  private failPending(error: Error): void {
    for (const request of this.pending.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }

  private onLinkClose(error: Error | undefined): void {
    if (this.state === 'closed' || this.state === 'ending' || this.backoff === undefined) {
      this.finish(error);
      return;
    }
    this.failPending(error ?? new ConnectionClosedError(this.url, 'the server closed the connection'));
    this.state = 'reconnecting';
    this.emit('disconnect', error);
    this.scheduleReconnect(error);
  }

  private scheduleReconnect(lastError: Error | undefined): void {
    const delayMs = this.backoff!.next();
    if (delayMs === undefined) {
      this.finish(lastError ?? new ConnectionClosedError(this.url, 'gave up reconnecting'));
      return;
    }
    // Round robin: each attempt goes to the next endpoint (the same one when there is only one).
    this.current = (this.current + 1) % this.targets.length;
    this.emit('reconnecting', { attempt: this.backoff!.attempts, delayMs, url: this.url });
    this.reconnectTimer = setTimeout(() => {
      this.open().then(
        () => {
          if (this.state !== 'reconnecting') return this.link.destroy();
          this.state = 'open';
          this.backoff!.reset();
          this.paused = false;
          this.emit('reconnect');
        },
        (err: unknown) => {
          if (this.state === 'reconnecting') this.scheduleReconnect(err as Error);
        },
      );
    }, delayMs);
  }

  private finish(error: Error | undefined): void {
    const wasClosedByUs = this.state === 'closed' && error === undefined;
    this.state = 'closed';
    this.closeError = wasClosedByUs ? undefined : error;
    this.failPending(error ?? new ConnectionClosedError(this.url, 'the connection closed before the reply'));
    for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true });
    this.emit('close', this.closeError);
    this.resolveClosed();
  }
}

/**
 * One endpoint's URL checked and resolved: its transport, and its framing (`framing` if given, else
 * the URL's `?framing=`, else raw).
 * @throws InvalidEndpointError | InvalidOptionError
 */
function resolveTarget(url: string, framing: FramingName | undefined): Target {
  const endpoint = parseEndpoint(url);
  const transport = transportFor(endpoint.transport);
  const known = ['framing', ...transport.connectParams];
  for (const key of endpoint.params.keys()) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(
        `connect(): unknown option '${key}' in ${url}; ${endpoint.transport}:// understands ${known.join(', ')}`,
      );
    }
  }
  return {
    endpoint,
    url: formatEndpoint(endpoint),
    transport,
    framing:
      transport.kind === 'datagram'
        ? 'datagram'
        : transport.kind === 'message'
          ? 'message'
          : oneOf('framing', framing ?? endpoint.params.get('framing') ?? undefined, FRAMING_NAMES, 'raw'),
  };
}

/**
 * Connect to an endpoint: `tcp://127.0.0.1:8088`, `udp://…`, `unix:///tmp/sb.sock`, with
 * `?framing=len32be` or `options.framing`.
 * @example
 * const client = await connect('tcp://127.0.0.1:9000?framing=len32be');
 * const reply = await client.request('hello'); // <Buffer 48 45 4c 4c 4f>
 * @throws InvalidEndpointError | ConnectionRefusedError | ConnectTimeoutError
 */
export function connect(url: string, options: ClientOptions = {}): Promise<Client> {
  return Client.connect(url, options);
}
