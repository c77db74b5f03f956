import type { Socket } from 'node:net';
import { InvalidOptionError, TooManyConnectionsError, UnsupportedError } from '../errors.js';
import type { Codec, FramingName, FramingOptions } from '../framing/codec.js';
import { createCodec } from '../framing/registry.js';
import { silentLogger, type Logger } from '../log.js';
import {
  serviceFromHandler,
  type MessageHandler,
  type Service,
  type ServiceFactory,
  type SessionFraming,
  type TransportName,
} from '../services/service.js';
import { bindUdp, type DatagramListener } from '../transports/udp.js';
import { parseEndpoint } from '../transports/endpoint.js';
import { streamTransport } from '../transports/registry.js';
import type { StreamListener } from '../transports/stream-transport.js';
import { serveDatagram } from './datagram-service.js';
import { ListenerParams, splitServiceSpec } from './listener-spec.js';
import { findService } from './service-registry.js';
import { StreamSession } from './stream-session.js';

/** Connections one listener accepts at once; the next gets a one-line reason and is closed. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** How long a graceful shutdown waits for replies to flush before dropping connections. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
/** How long a closed-by-us connection may take to say goodbye before it is dropped. */
export const DEFAULT_LINGER_MS = 5_000;

export interface ServeOptions extends FramingOptions {
  /** Where connects, closes and errors are logged. @default silent */
  logger?: Logger;
  /** Per listener; a URL's `?maxConnections=` overrides it. @default 10000 */
  maxConnections?: number;
  /** Close a connection idle this long, in ms; 0 = never. A URL's `?idleTimeout=` overrides it. @default 0 */
  idleTimeoutMs?: number;
  /** Deadline for a graceful close(). @default 5000 */
  shutdownTimeoutMs?: number;
  /** Services to know by name besides the built-in ones. */
  services?: Readonly<Record<string, ServiceFactory>>;
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
  /** Port for tcp/udp; 0 for unix. */
  readonly port: number;
}

interface RunningListener {
  readonly info: ListenerInfo;
  readonly service: Service;
  readonly close: () => Promise<void>;
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

/** A running set of listeners. */
export class Server {
  private readonly sessions = new Set<StreamSession>();
  private closing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  /** Resolves once close() has finished. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  private readonly running: RunningListener[] = [];
  /** Set while shutting down: called when the last session has gone. */
  private onDrained: (() => void) | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly shutdownTimeoutMs: number,
  ) {}

  get listeners(): readonly ListenerInfo[] {
    return this.running.map((l) => l.info);
  }

  /** Open stream connections across all listeners. */
  get connections(): number {
    return this.sessions.size;
  }

  /** @internal */
  add(listener: RunningListener): void {
    this.running.push(listener);
  }

  /** @internal */
  track(session: StreamSession): void {
    this.sessions.add(session);
  }

  /** @internal */
  untrack(session: StreamSession): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.onDrained?.();
  }

  /**
   * Graceful shutdown (DESIGN §7): stop accepting, let services say goodbye, flush replies, close;
   * whatever is still open after the deadline is dropped. Idempotent.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
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

async function startStreamListener(
  server: Server,
  service: Service,
  params: ListenerParams,
  options: ServeOptions,
  logger: Logger,
): Promise<RunningListener> {
  const endpoint = params.endpoint;
  const transport = streamTransport(endpoint.transport)!;
  const framing = params.takeFraming(service.defaultFraming ?? 'raw');
  const codec: Codec = createCodec(framing, params.takeFramingLimits(options));
  const maxConnections = params.takeCount(
    'maxConnections',
    options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    1,
  );
  const idleTimeoutMs = params.takeCount('idleTimeout', options.idleTimeoutMs ?? 0);
  const limits = { idleTimeoutMs, lingerMs: DEFAULT_LINGER_MS };
  params.assertAllTaken();

  let open = 0;
  const onClosed = (session: StreamSession): void => {
    open--;
    server.untrack(session);
  };
  const accept = (socket: Socket, peer: string): void => {
    if (open >= maxConnections) {
      // The next client hears why in one line, then is closed (DESIGN §5, issue: max connections).
      const error = new TooManyConnectionsError(peer, maxConnections);
      logger.warn({ peer }, error.message);
      socket.on('error', () => undefined);
      socket.end(codec.encode(Buffer.from(error.notice!, 'utf8')));
      setTimeout(() => socket.destroy(), DEFAULT_LINGER_MS).unref();
      return;
    }
    open++;
    const session = new StreamSession(
      socket,
      peer,
      endpoint.transport,
      codec,
      service,
      logger,
      limits,
      onClosed,
    );
    server.track(session);
    session.open();
  };
  const listener: StreamListener = await transport.listen(endpoint, accept);
  const port =
    endpoint.transport === 'unix' ? 0 : Number(listener.url.slice(listener.url.lastIndexOf(':') + 1));
  return {
    info: { service: service.name, transport: endpoint.transport, url: listener.url, framing, port },
    service,
    close: () => listener.close(),
  };
}

async function startDatagramListener(
  service: Service,
  params: ListenerParams,
  logger: Logger,
): Promise<RunningListener> {
  if (service.datagrams === false) {
    throw new UnsupportedError(
      `${service.name} needs connections and cannot run over udp; use tcp:// or unix:// for it`,
    );
  }
  params.assertAllTaken();
  const listener: DatagramListener = await bindUdp(params.endpoint, (message, from, peer) =>
    serveDatagram(service, listener.socket, message, from, peer, logger),
  );
  listener.socket.on('error', (err) => logger.error({ err }, `udp ${listener.url}: ${err.message}`));
  return {
    info: {
      service: service.name,
      transport: 'udp',
      url: listener.url,
      framing: 'datagram',
      port: listener.socket.address().port,
    },
    service,
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
  const server = new Server(logger, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  try {
    for (const spec of list) {
      const label = specLabel(spec);
      const url = typeof spec === 'string' ? splitServiceSpec(spec).url : spec.url;
      const params = new ListenerParams(parseEndpoint(url), label);
      const service = resolveService(spec, params, options.services ?? {});
      const running =
        params.endpoint.transport === 'udp'
          ? await startDatagramListener(service, params, logger)
          : await startStreamListener(server, service, params, options, logger);
      server.add(running);
      // The CLI prints a banner; for other programs this is detail.
      logger.debug(
        { service: running.info.service, url: running.info.url, framing: running.info.framing },
        'listening',
      );
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

export type { FramingName };
