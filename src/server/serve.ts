import type { Backplane, BackplaneStats } from '../backplane/backplane.js';
import { totalmem } from 'node:os';
import {
  InvalidOptionError,
  TlsHandshakeError,
  TooManyConnectionsError,
  TooManyFromAddressError,
  UnsupportedError,
} from '../errors.js';
import type { Codec, FramingName, FramingOptions } from '../framing/codec.js';
import { createCodec } from '../framing/registry.js';
import { silentLogger, type Logger } from '../log.js';
import {
  serviceFromHandler,
  type CloseReason,
  type MessageHandler,
  type Service,
  type ServiceFactory,
  type ServiceStats,
  type SessionFraming,
} from '../services/service.js';
import { ConnectionSession, type SessionLimits } from '../session/connection-session.js';
import { serveDatagram } from '../session/datagram-session.js';
import { messageCodec } from '../session/message-codec.js';
import type { Connection, ConnectionHandler } from '../transports/connection.js';
import { parseEndpoint } from '../transports/endpoint.js';
import { transportFor } from '../transports/registry.js';
import type {
  BoundAddress,
  ConnectionTransport,
  TransportName,
  TransportServeOptions,
} from '../transports/transport.js';
import type { DatagramListener, DatagramTransport } from '../transports/udp.js';
import { wholeNumber } from '../validate.js';
import { ListenerParams, splitServiceSpec } from './listener-spec.js';
import { findService } from './service-registry.js';

/** Connections one listener accepts at once; the next gets a one-line reason and is closed. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** How long a graceful shutdown waits for replies to flush before dropping connections. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
/** How long a closed-by-us connection may take to say goodbye before it is dropped. */
export const DEFAULT_LINGER_MS = 5_000;
/**
 * Issue 13, slowloris: 60 s for a message that has begun to finish, as nginx gives a request's
 * header or body. At the 1 MiB frame limit that asks ~17 KB/s of a peer; a trickle of one byte a
 * second holds a slot for a minute, not forever.
 */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 60_000;
/**
 * Issue 13: connections one IP address may hold on a listener bound to a non-loopback address
 * (10,000 connections from one host would take every slot). On loopback every client shares
 * 127.0.0.1 — tests, benchmarks, a local proxy — so there is no per-address limit by default.
 */
export const DEFAULT_MAX_PER_ADDRESS = 100;
/**
 * Issue 13: what partial input and unsent output of all connections may hold, before the
 * costliest connections are shed: a quarter of the machine's memory.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = Math.floor(totalmem() / 4);
/** How often deadlines and the memory budget are checked (at most). */
const SWEEP_INTERVAL_MS = 1_000;

export interface ServeOptions extends FramingOptions, TransportServeOptions {
  /** Where connects, closes and errors are logged. @default silent */
  logger?: Logger;
  /** Per listener; a URL's `?maxConnections=` overrides it. @default 10000 */
  maxConnections?: number;
  /** Close a connection idle this long, in ms; 0 = never. A URL's `?idleTimeout=` overrides it. @default 0 */
  idleTimeoutMs?: number;
  /** Deadline for a graceful close(). @default 5000 */
  shutdownTimeoutMs?: number;
  /** A message begun must finish within this long, in ms; 0 = never. A URL's `?messageTimeout=` overrides it. @default 60000 */
  messageTimeoutMs?: number;
  /** Connections one IP address may hold per listener; 0 = no limit. `?maxPerAddress=` overrides it. @default 0 on loopback, 100 elsewhere */
  maxPerAddress?: number;
  /** Bytes all connections may hold (partial input + unsent output) before the costliest are shed. @default a quarter of the machine's memory */
  memoryBudgetBytes?: number;
  /** Services to know by name besides the built-in ones. */
  services?: Readonly<Record<string, ServiceFactory>>;
  /**
   * Serve `/metrics`, `/healthz` and `/varz` at this `http://HOST:PORT` (DESIGN §9); port 0 picks
   * one, reported as `server.metrics`. prom-client is loaded only when this is given.
   * @default none
   */
  metrics?: string;
  /**
   * What chat hubs share their rooms, nicks and order through (DESIGN §8): a RedisBackplane, or the
   * cluster backplane of `--workers`. serve() starts it before the listeners and closes it last.
   * @default none: each hub is in this process alone
   */
  backplane?: Backplane;
}

/** Where the metrics endpoint listens, port 0 resolved. */
export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:9464`: `/metrics`, `/healthz` and `/varz` are under it. */
  readonly url: string;
}

/**
 * One listener's counters (DESIGN §9), read when asked: plain integers kept by the sessions and the
 * listener, summed here, so the hot path pays an increment at most and nothing per scrape.
 */
export interface ListenerStats {
  readonly service: string;
  readonly transport: TransportName;
  readonly url: string;
  /** False once the listener has stopped accepting (closed, or the server shutting down). */
  readonly up: boolean;
  /** Open connections now (0 for udp: datagrams have no connections). */
  readonly connections: number;
  /** Connections accepted since start (refused ones not included). */
  readonly connectionsTotal: number;
  /** Messages decoded from peers (udp: datagrams received). */
  readonly messagesIn: number;
  /** Messages handed to connections: replies, and frames a service sent (udp: not counted). */
  readonly messagesOut: number;
  /** Bytes read from connections, framing included (udp: datagram payloads). */
  readonly bytesIn: number;
  /** Bytes written to connections (udp: not counted). */
  readonly bytesOut: number;
  /** Closed connections, by CloseReason kind. */
  readonly closes: Readonly<Partial<Record<CloseReason['kind'], number>>>;
  /** Connections turned away at maxConnections. */
  readonly refusedFull: number;
  /** Connections refused because the process ran out of file descriptors (tcp, tls). */
  readonly refusedForDescriptors: number;
  /** TLS handshakes that failed or timed out (tls, wss). */
  readonly tlsHandshakeFailures: number;
}

/** What `Server.stats()` returns: every listener, and each service's own figures once. */
export interface ServerStats {
  /** When serve() started, ms since the epoch. */
  readonly startedAt: number;
  /** close() has been called. */
  readonly closing: boolean;
  readonly listeners: readonly ListenerStats[];
  /** One entry per distinct source (listeners sharing a chat hub report it once). */
  readonly services: readonly ServiceStats[];
  /** The chat backplane, when serve() was given one (`--backplane`, `--workers`). */
  readonly backplane: BackplaneStats | undefined;
}

/** A listener: `'upper@tcp://127.0.0.1:0'`, or a URL with a service given as a name, object or function. */
export type ListenerSpec =
  | string
  | {
      url: string;
      service: string | Service | MessageHandler;
    };

export interface ListenerInfo {
  readonly service: string;
  readonly transport: TransportName;
  /** The address actually bound (port 0 resolved), without query. */
  readonly url: string;
  readonly framing: SessionFraming;
  /** Port for IP transports; 0 for unix. */
  readonly port: number;
  /** The bound address, structured. */
  readonly address: BoundAddress;
}

interface RunningListener {
  readonly info: ListenerInfo;
  readonly service: Service;
  readonly counters: ListenerCounters;
  readonly close: () => Promise<void>;
}

/** The counters behind ListenerStats; sessions keep their own and hand them over when they close. */
class ListenerCounters {
  readonly live = new Set<ConnectionSession>();
  up = true;
  connectionsTotal = 0;
  refusedFull = 0;
  tlsHandshakeFailures = 0;
  /** Datagram listeners count here directly; connection listeners, for closed sessions. */
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly closes: Partial<Record<CloseReason['kind'], number>> = {};
  /** The transport's own count, read when asked. */
  refusedForDescriptors: () => number = () => 0;

  closed(session: ConnectionSession, reason: CloseReason): void {
    this.live.delete(session);
    this.messagesIn += session.messagesIn;
    this.messagesOut += session.messagesOut;
    this.bytesIn += session.bytesIn;
    this.bytesOut += session.bytesOut;
    this.closes[reason.kind] = (this.closes[reason.kind] ?? 0) + 1;
  }

  stats(info: ListenerInfo): ListenerStats {
    let { messagesIn, messagesOut, bytesIn, bytesOut } = this;
    for (const s of this.live) {
      messagesIn += s.messagesIn;
      messagesOut += s.messagesOut;
      bytesIn += s.bytesIn;
      bytesOut += s.bytesOut;
    }
    return {
      service: info.service,
      transport: info.transport,
      url: info.url,
      up: this.up,
      connections: this.live.size,
      connectionsTotal: this.connectionsTotal,
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      closes: { ...this.closes },
      refusedFull: this.refusedFull,
      refusedForDescriptors: this.refusedForDescriptors(),
      tlsHandshakeFailures: this.tlsHandshakeFailures,
    };
  }
}

/** A running set of listeners, as `serve()` returns it. */
export interface Server extends AsyncDisposable {
  /** Every listener, with the address it bound. */
  readonly listeners: readonly ListenerInfo[];
  /** Open connections across all listeners. */
  readonly connections: number;
  /**
   * Graceful shutdown (DESIGN §7): stop accepting, let services say goodbye, flush replies, close;
   * whatever is still open after the deadline is dropped. Idempotent.
   */
  close(): Promise<void>;
  /** Resolves once close() has finished. */
  readonly closed: Promise<void>;
  /** Counters per listener and per service, read now (DESIGN §9; what `/metrics` shows). */
  stats(): ServerStats;
  /** The metrics endpoint, when `options.metrics` was given. */
  readonly metrics: MetricsAddress | undefined;
}

/** What serve() needs of a metrics endpoint: its address, and a close after the last connection. */
interface AttachedEndpoint {
  readonly address: MetricsAddress;
  close(): Promise<void>;
}

/** The server behind the `Server` interface: what serve() and the listeners need, kept out of the API. */
class RunningServer implements Server {
  readonly sessions = new Set<ConnectionSession>();
  readonly running: RunningListener[] = [];
  private closing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  /** Set while shutting down: called when the last session has gone. */
  private onDrained: (() => void) | undefined;
  readonly startedAt = Date.now();
  endpoint: AttachedEndpoint | undefined;
  /** The backplane serve() started (options.backplane): closed after the last session. */
  backplane: Backplane | undefined;

  private sweeper: NodeJS.Timeout | undefined;
  private sweepEveryMs = SWEEP_INTERVAL_MS;
  /** Connections shed to stay within the memory budget (issue 13), for the log and metrics. */
  shedForMemory = 0;

  constructor(
    private readonly logger: Logger,
    private readonly shutdownTimeoutMs: number,
    private readonly memoryBudgetBytes: number,
  ) {}

  /** Check deadlines at least this often (a listener with a short messageTimeout asks for more). */
  sweepAtLeastEvery(ms: number): void {
    if (ms > 0) this.sweepEveryMs = Math.max(50, Math.min(this.sweepEveryMs, Math.floor(ms / 4)));
    clearInterval(this.sweeper);
    // One timer for the whole server, not one per connection or per read: a sweep is O(connections).
    this.sweeper = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = performance.now();
    let held = 0;
    for (const session of this.sessions) {
      session.checkMessageDeadline(now);
      held += session.heldBytes;
    }
    if (held > this.memoryBudgetBytes) this.shed(held);
  }

  /** Issue 13: over the memory budget, drop the costliest connections until 90 % of it is left. */
  private shed(held: number): void {
    const budget = this.memoryBudgetBytes;
    const costliest = [...this.sessions].sort((a, b) => b.heldBytes - a.heldBytes);
    this.logger.warn(
      { heldBytes: held, budgetBytes: budget },
      `memory budget of ${budget} bytes reached (${held} bytes held by connections); shedding the costliest`,
    );
    for (const session of costliest) {
      if (held <= budget * 0.9) break;
      const cost = session.heldBytes;
      if (cost === 0) break;
      held -= cost;
      this.shedForMemory++;
      session.shed(
        `memory budget: held ${cost} bytes when the server's budget of ${budget} bytes was reached`,
        'error: server over its memory budget; this connection held the most; try again later',
      );
    }
  }

  get listeners(): readonly ListenerInfo[] {
    return this.running.map((l) => l.info);
  }

  get connections(): number {
    return this.sessions.size;
  }

  get metrics(): MetricsAddress | undefined {
    return this.endpoint?.address;
  }

  stats(): ServerStats {
    const services = new Map<unknown, ServiceStats>();
    for (const l of this.running) {
      const s = l.service.stats?.();
      if (s !== undefined && !services.has(s.source)) services.set(s.source, s);
    }
    return {
      startedAt: this.startedAt,
      closing: this.closing !== undefined,
      listeners: this.running.map((l) => l.counters.stats(l.info)),
      services: [...services.values()],
      backplane: this.backplane?.stats(),
    };
  }

  untrack(session: ConnectionSession): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.onDrained?.();
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    for (const l of this.running) l.counters.up = false;
    await Promise.all(this.running.map((l) => l.close()));
    const services = new Set(this.running.map((l) => l.service));
    await Promise.all(
      [...services].map(async (s) => {
        try {
          await s.shutdown?.();
        } catch (err) {
          this.logger.error({ err }, `service ${s.name} failed during shutdown`);
        }
      }),
    );
    for (const session of this.sessions) session.shutdown();
    await this.drain();
    await Promise.all(
      [...services].map(async (s) => {
        try {
          await s.stop?.();
        } catch (err) {
          this.logger.error({ err }, `service ${s.name} failed to stop`);
        }
      }),
    );
    await this.backplane?.close();
    // Last, so /healthz says 503 (shutting down) to the load balancer while connections drain.
    await this.endpoint?.close();
    this.resolveClosed();
  }

  private drain(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        this.logger.warn(
          { open: this.sessions.size },
          `shutdown deadline of ${this.shutdownTimeoutMs} ms passed; dropping ${this.sessions.size} connection(s)`,
        );
        for (const s of this.sessions) s.destroy('shutdown deadline passed');
      }, this.shutdownTimeoutMs);
      this.onDrained = () => {
        clearTimeout(deadline);
        resolve();
      };
    });
  }
}

function resolveService(
  spec: ListenerSpec,
  params: ListenerParams,
  services: Readonly<Record<string, ServiceFactory>>,
): Service {
  const service = typeof spec === 'string' ? splitServiceSpec(spec).service : spec.service;
  if (typeof service === 'string') return findService(service, services)(params);
  if (typeof service === 'function') return serviceFromHandler(service);
  return service;
}

/** What a connection listener's sessions are made with, resolved once from its URL and options. */
interface SessionSetup {
  readonly codec: Codec;
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  readonly limits: SessionLimits;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '';
}

function sessionSetup(
  transport: ConnectionTransport,
  service: Service,
  params: ListenerParams,
  options: ServeOptions,
): SessionSetup {
  // A message transport delimits messages itself (DESIGN §2): no framing to choose.
  const codec =
    transport.kind === 'message'
      ? messageCodec
      : createCodec(params.takeFraming(service.defaultFraming ?? 'raw'), params.takeFramingLimits(options));
  const maxConnections = params.takeCount(
    'maxConnections',
    wholeNumber('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS, { min: 1 }),
    1,
  );
  const idleTimeoutMs = params.takeCount(
    'idleTimeout',
    wholeNumber('idleTimeoutMs', options.idleTimeoutMs, 0, { unit: 'ms' }),
  );
  const messageTimeoutMs = params.takeCount(
    'messageTimeout',
    wholeNumber('messageTimeoutMs', options.messageTimeoutMs, DEFAULT_MESSAGE_TIMEOUT_MS, { unit: 'ms' }),
  );
  const maxPerAddress = params.takeCount(
    'maxPerAddress',
    wholeNumber(
      'maxPerAddress',
      options.maxPerAddress,
      isLoopbackHost(params.endpoint.host) ? 0 : DEFAULT_MAX_PER_ADDRESS,
    ),
  );
  return {
    codec,
    maxConnections,
    maxPerAddress,
    limits: { idleTimeoutMs, lingerMs: DEFAULT_LINGER_MS, messageTimeoutMs },
  };
}

async function startConnectionListener(
  server: RunningServer,
  transport: ConnectionTransport,
  service: Service,
  params: ListenerParams,
  options: ServeOptions,
  logger: Logger,
): Promise<RunningListener> {
  const { codec, maxConnections, maxPerAddress, limits } = sessionSetup(transport, service, params, options);
  const prepared = transport.prepare(params.endpoint, params, options);
  params.assertAllTaken();
  server.sweepAtLeastEvery(limits.messageTimeoutMs);

  let open = 0;
  const counters = new ListenerCounters();
  /** Open connections per IP address, kept only when there is a per-address limit. */
  const perAddress = new Map<string, number>();
  const onClosed = (session: ConnectionSession, reason: CloseReason, address: string | undefined): void => {
    open--;
    counters.closed(session, reason);
    if (address !== undefined) {
      const n = perAddress.get(address)! - 1;
      if (n === 0) perAddress.delete(address);
      else perAddress.set(address, n);
    }
    server.untrack(session);
  };
  const onConnection = (connection: Connection): void => {
    const address = maxPerAddress > 0 ? connection.remoteAddress : undefined;
    if (open >= maxConnections) {
      counters.refusedFull++;
      // The next client hears why in one line, then is closed (DESIGN §5, issue: max connections).
      return refuse(connection, new TooManyConnectionsError(connection.peer, maxConnections), codec, logger);
    }
    if (address !== undefined && (perAddress.get(address) ?? 0) >= maxPerAddress) {
      return refuse(
        connection,
        new TooManyFromAddressError(connection.peer, address, maxPerAddress),
        codec,
        logger,
      );
    }
    open++;
    counters.connectionsTotal++;
    if (address !== undefined) perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    const session = new ConnectionSession(connection, codec, service, logger, limits, (s, reason) =>
      onClosed(s, reason, address),
    );
    server.sessions.add(session);
    counters.live.add(session);
    session.open();
  };
  const onRejected = (peer: string, error: Error): void => {
    if (error instanceof TlsHandshakeError) counters.tlsHandshakeFailures++;
    logger.warn({ peer, err: error }, `${peer}: ${error.message}`);
  };
  const listener = await prepared.listen({ onConnection, onRejected });
  counters.refusedForDescriptors = () => listener.refusedForDescriptors ?? 0;
  const address = listener.address;
  return {
    info: {
      service: service.name,
      transport: address.transport,
      url: address.url,
      framing: codec.name,
      port: address.port,
      address,
    },
    service,
    counters,
    close: () => listener.close(),
  };
}

/** A refused connection's handler: it only waits for the goodbye to flush. */
/** A refused connection's notice has this long to leave before the descriptor is freed. */
const REFUSED_LINGER_MS = 1_000;

/**
 * Tell a refused client why in one line, then free its descriptor as soon as that line is out
 * (issue 13: a "server full" socket held its descriptor 5 s, which a flood turns into a shortage).
 */
function refuse(
  connection: Connection,
  error: TooManyConnectionsError | TooManyFromAddressError,
  codec: Codec,
  logger: Logger,
): void {
  logger.warn({ peer: connection.peer, code: error.code }, error.message);
  const done = (): void => connection.destroy();
  connection.attach({ ...ignoreEverything, onFinish: done });
  connection.write(codec.encode(Buffer.from(error.notice!, 'utf8')));
  connection.end({ code: 1013, reason: 'server full' });
  setTimeout(done, REFUSED_LINGER_MS).unref();
}

const ignoreEverything: ConnectionHandler = {
  onData: () => undefined,
  onEnd: () => undefined,
  onDrain: () => undefined,
  onFinish: () => undefined,
  onIdle: () => undefined,
  onError: () => undefined,
  onClose: () => undefined,
};

async function startDatagramListener(
  transport: DatagramTransport,
  service: Service,
  params: ListenerParams,
  logger: Logger,
): Promise<RunningListener> {
  if (service.datagrams === false) {
    throw new UnsupportedError(
      `${service.name} needs connections and cannot run over ${transport.name}; use tcp:// or unix:// for it (or tls://, ws://)`,
    );
  }
  params.assertAllTaken();
  const counters = new ListenerCounters();
  const listener: DatagramListener = await transport.bind(params.endpoint, (message, from, peer) => {
    counters.messagesIn++;
    counters.bytesIn += message.length;
    serveDatagram(service, listener.socket, message, from, peer, logger);
  });
  const address = listener.address;
  listener.socket.on('error', (err) => logger.error({ err }, `udp ${address.url}: ${err.message}`));
  return {
    info: {
      service: service.name,
      transport: address.transport,
      url: address.url,
      framing: 'datagram',
      port: address.port,
      address,
    },
    service,
    counters,
    close: () => listener.close(),
  };
}

function specLabel(spec: ListenerSpec): string {
  if (typeof spec === 'string') return spec;
  const name =
    typeof spec.service === 'string'
      ? spec.service
      : typeof spec.service === 'function'
        ? spec.service.name || 'custom'
        : spec.service.name;
  return `${name}@${spec.url}`;
}

/**
 * Start listeners. Each is `SERVICE@URL` or `{ url, service }`; URL query parameters (`framing`,
 * `maxLine`, `maxFrame`, `maxConnections`, `idleTimeout`, and the service's own) override `options`.
 * If any listener fails to start, those already started are closed and the error is thrown.
 *
 * @example const server = await serve('upper@tcp://127.0.0.1:0'); server.listeners[0].port
 * @throws InvalidEndpointError | InvalidOptionError | UnknownServiceError | AddressInUseError | SocketInUseError
 */
export async function serve(
  specs: ListenerSpec | readonly ListenerSpec[],
  options: ServeOptions = {},
): Promise<Server> {
  const list = Array.isArray(specs) ? (specs as readonly ListenerSpec[]) : [specs as ListenerSpec];
  if (list.length === 0) throw new InvalidOptionError('serve() needs at least one listener');
  const logger = options.logger ?? silentLogger;
  const server = new RunningServer(
    logger,
    wholeNumber('shutdownTimeoutMs', options.shutdownTimeoutMs, DEFAULT_SHUTDOWN_TIMEOUT_MS, { unit: 'ms' }),
    wholeNumber('memoryBudgetBytes', options.memoryBudgetBytes, DEFAULT_MEMORY_BUDGET_BYTES, { min: 1 }),
  );
  try {
    if (options.backplane !== undefined) {
      await options.backplane.start();
      server.backplane = options.backplane;
    }
    for (const spec of list) {
      const label = specLabel(spec);
      const url = typeof spec === 'string' ? splitServiceSpec(spec).url : spec.url;
      const params = new ListenerParams(parseEndpoint(url), label, options.backplane);
      const service = resolveService(spec, params, options.services ?? {});
      await service.ready?.();
      const transport = transportFor(params.endpoint.transport);
      const running =
        transport.kind === 'datagram'
          ? await startDatagramListener(transport, service, params, logger)
          : await startConnectionListener(server, transport, service, params, options, logger);
      server.running.push(running);
      // The CLI prints a banner; for other programs this is detail.
      logger.debug(
        { service: running.info.service, url: running.info.url, framing: running.info.framing },
        'listening',
      );
    }
    if (options.metrics !== undefined) {
      // Loaded on demand: the server layer never imports prom-client, and a server without
      // metrics never loads it (DESIGN §9; the metrics module sits above the server).
      const { startMetricsEndpoint } = await import('../metrics/http-endpoint.js');
      server.endpoint = await startMetricsEndpoint(server, options.metrics);
      logger.debug({ url: server.endpoint.address.url }, 'metrics listening');
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

export type { FramingName };
