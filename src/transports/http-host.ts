/**
 * One HTTP(S) server per HOST:PORT, shared by every ws/wss listener on it (DESIGN §2: several
 * listeners may share one port with different paths). It routes upgrades by path (404 on an
 * unknown one), applies the Origin rule, answers plain GETs with 426 where no page is served,
 * and offers a hook for pages (`HttpRequestHandler`), which the web chat page will use.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { InvalidOptionError, TlsHandshakeError, listenError } from '../errors.js';
import { formatHostPort } from './endpoint.js';
import { closeServer, listenServer } from './listen-server.js';
import type { TransportName } from './transport.js';

/** Answers a plain HTTP request (a page, a health check); returns false to leave it to others. */
export type HttpRequestHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

/** One WebSocket listener's place on the host. */
export interface HttpRoute {
  readonly path: string;
  /** Accept this upgrade? Returns the refusal (status and text) or undefined to accept. */
  checkUpgrade(request: IncomingMessage): { status: number; text: string } | undefined;
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Pages this listener serves on the host (any path), tried before the 426/404 answers. */
  readonly onRequest?: HttpRequestHandler | undefined;
}

type HostServer = ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>;

function refuse(socket: Duplex, status: number, reason: string, text: string): void {
  // The upgrade never became HTTP/1.1 handled by Node: answer by hand, then close.
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`,
  );
}

const REASONS: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 426: 'Upgrade Required' };

export class HttpHost {
  private readonly routes = new Map<string, HttpRoute>();
  private readonly server: HostServer;
  private closeListening: (() => Promise<void>) | undefined;
  port = 0;

  constructor(
    readonly scheme: TransportName,
    readonly host: string,
    /** Identifies the certificate (the files) a wss host was made with; '' for ws. */
    readonly tlsIdentity: string,
    tls: TlsOptions | undefined,
    onRejected: ((peer: string, error: Error) => void) | undefined,
  ) {
    this.server = tls === undefined ? createHttpServer() : createHttpsServer(tls);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    if (tls !== undefined) {
      // DESIGN §7: a failed handshake (plain bytes on a wss port) costs only that connection.
      this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        const peer = formatHostPort(socket.remoteAddress, socket.remotePort);
        socket.destroy(); // Node leaves a timed-out handshake's socket open
        onRejected?.(peer, new TlsHandshakeError(peer, `${err.message}; closed`, err));
      });
    }
  }

  get empty(): boolean {
    return this.routes.size === 0;
  }

  async listen(port: number): Promise<void> {
    try {
      await listenServer(this.server, { host: this.host, port });
    } catch (err) {
      throw listenError(formatHostPort(this.host, port), err);
    }
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    this.closeListening = closeServer(this.server);
  }

  /** @throws InvalidOptionError when the path already has a listener. */
  add(route: HttpRoute): void {
    if (this.routes.has(route.path)) {
      throw new InvalidOptionError(
        `${this.scheme}://${formatHostPort(this.host, this.port)}${route.path} already has a listener in this process; ` +
          `give each listener its own path`,
      );
    }
    this.routes.set(route.path, route);
  }

  /** Remove a route; the server closes with the last one. */
  async remove(route: HttpRoute): Promise<void> {
    if (this.routes.get(route.path) === route) this.routes.delete(route.path);
    await this.closeIfEmpty();
  }

  /** Stop listening once no listener uses the host (also after a refused add()). */
  async closeIfEmpty(): Promise<void> {
    if (this.routes.size === 0) await this.closeListening?.();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined); // DESIGN §7: a peer that vanishes mid-upgrade costs nothing
    const path = pathOf(req);
    const route = this.routes.get(path);
    if (route === undefined) {
      return refuse(socket, 404, REASONS[404]!, `no WebSocket listener at ${path}; ${this.knownPaths()}`);
    }
    const refusal = route.checkUpgrade(req);
    if (refusal !== undefined) {
      return refuse(socket, refusal.status, REASONS[refusal.status] ?? 'Error', refusal.text);
    }
    route.upgrade(req, socket, head);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    for (const route of this.routes.values()) {
      if (route.onRequest?.(req, res) === true) return;
    }
    const path = pathOf(req);
    const known = this.routes.has(path);
    const status = known ? 426 : 404;
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      ...(known && { Upgrade: 'websocket', Connection: 'Upgrade' }),
    });
    res.end(
      known
        ? `${path} is a WebSocket endpoint: connect with a WebSocket client (switchboard connect ${this.scheme}://…${path})\n`
        : `nothing at ${path}; ${this.knownPaths()}\n`,
    );
  }

  private knownPaths(): string {
    return `WebSocket listeners here: ${[...this.routes.keys()].join(', ')}`;
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Makes a listener's page handler once the WebSocket path it serves is known. */
export type PageFactory = (webSocketPath: string) => HttpRequestHandler;

/**
 * Pages a service offers for its listener (DESIGN §6: a `chat@ws://` listener serves the web chat
 * page), keyed by the listener's parameter object, which `serve()` hands both to the service factory
 * and to the transport: the service knows whether it wants a page, the ws transport knows the path.
 * A WeakMap, so a listener that never binds leaves nothing behind.
 */
const offeredPages = new WeakMap<object, PageFactory>();

export function offerPage(listenerParams: object, page: PageFactory): void {
  offeredPages.set(listenerParams, page);
}

export function offeredPage(listenerParams: object): PageFactory | undefined {
  return offeredPages.get(listenerParams);
}

/** Hosts with a fixed port, so that a second listener on HOST:PORT joins the first one's server. */
const hosts = new Map<string, HttpHost>();

/**
 * The host for a listener: the running one on HOST:PORT if this process has one (port 0 always
 * makes a new one), else a new one, listening.
 * @throws InvalidOptionError when HOST:PORT already serves the other scheme or another certificate.
 */
export async function acquireHost(
  scheme: TransportName,
  host: string,
  port: number,
  tls: TlsOptions | undefined,
  tlsIdentity: string,
  onRejected: ((peer: string, error: Error) => void) | undefined,
): Promise<HttpHost> {
  const key = formatHostPort(host, port);
  const existing = port === 0 ? undefined : hosts.get(key);
  if (existing !== undefined) {
    if (existing.scheme !== scheme || existing.tlsIdentity !== tlsIdentity) {
      throw new InvalidOptionError(
        `${key} already serves ${existing.scheme}://${existing.tlsIdentity === '' ? '' : ' with another certificate'} in this process; ` +
          `listeners sharing a port must share the scheme and the certificate`,
      );
    }
    return existing;
  }
  const created = new HttpHost(scheme, host, tlsIdentity, tls, onRejected);
  await created.listen(port);
  hosts.set(formatHostPort(host, created.port), created);
  return created;
}

/** Forget a host once its last route is gone. */
export function releaseHost(host: HttpHost): void {
  if (!host.empty) return;
  const key = formatHostPort(host.host, host.port);
  if (hosts.get(key) === host) hosts.delete(key);
}
