/**
 * `ws://HOST:PORT/PATH` and `wss://…` (DESIGN §2): WebSocket (RFC 6455) on Node's HTTP(S) server
 * with the `ws` package in `noServer` mode, one WebSocket message = one message.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { ConnectTimeoutError, WebSocketHandshakeError, connectError } from '../errors.js';
import type { Connection } from './connection.js';
import { formatEndpoint, formatHostPort, type Endpoint } from './endpoint.js';
import { acquireHost, offeredPage, releaseHost, type HttpRoute } from './http-host.js';
import { TLS_CONNECT_PARAMS, clientTlsOptions, serverTlsOptions, tlsConnectError } from './tls-options.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  type ConnectionTransport,
  type ListenHooks,
  type ParamReader,
  type TransportConnectOptions,
  type TransportName,
  type TransportServeOptions,
} from './transport.js';
import { WsConnection } from './ws-connection.js';

/** 1 MiB, as DESIGN §2: a larger message closes the connection with 1009. */
export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;
/** DESIGN §2: a ping every 30 s; no pong by the next one closes the connection. */
export const DEFAULT_WS_PING_INTERVAL_MS = 30_000;

/** A ws listener's own options, from its URL. */
interface WsListenOptions {
  /** `maxPayload`: largest message in bytes. @default 1048576 */
  readonly maxPayload: number;
  /** `pingInterval`: ms between pings; 0 turns the heartbeat off. @default 30000 */
  readonly pingIntervalMs: number;
  /**
   * `origins`: comma-separated origins whose browsers may connect besides the listener's own host
   * (`https://example.org`), or `*` for any. Clients that send no Origin are always accepted.
   */
  readonly origins: ReadonlySet<string> | '*';
}

function wsOptions(params: ParamReader): WsListenOptions {
  const origins = params.take('origins');
  return {
    maxPayload: params.takeCount('maxPayload', DEFAULT_WS_MAX_PAYLOAD, 1, 0xffff_ffff),
    pingIntervalMs: params.takeCount('pingInterval', DEFAULT_WS_PING_INTERVAL_MS, 0),
    origins:
      origins === '*'
        ? '*'
        : new Set(
            (origins ?? '')
              .split(',')
              .map((o) => o.trim().toLowerCase())
              .filter((o) => o !== ''),
          ),
  };
}

/**
 * DESIGN §2, the Origin rule: a browser's upgrade is accepted when its Origin names the host it
 * connected to (the Host header) or is listed; CLI tools send no Origin and are accepted.
 */
function originRefusal(req: IncomingMessage, allowed: WsListenOptions['origins']): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || allowed === '*') return undefined;
  const lower = origin.toLowerCase();
  if (allowed.has(lower)) return undefined;
  let host: string;
  try {
    host = new URL(lower).host;
  } catch {
    return `Origin '${origin}' is not a URL`;
  }
  if (host === (req.headers.host ?? '').toLowerCase()) return undefined;
  return `Origin '${origin}' may not connect here; the server can allow it with ?origins=${origin} (or * for any)`;
}

function listenWs(
  name: TransportName,
  endpoint: Endpoint,
  params: ParamReader,
  defaults: TransportServeOptions,
) {
  const tls = name === 'wss' ? serverTlsOptions(endpoint, params, defaults) : undefined;
  const tlsIdentity =
    name === 'wss'
      ? `${params.take('cert') ?? defaults.tlsCert}|${params.take('key') ?? defaults.tlsKey}`
      : '';
  const options = wsOptions(params);
  // DESIGN §6: the page a service offers for this listener (chat's web page), unless the caller hooks one.
  const page = offeredPage(params)?.(endpoint.path);
  return {
    async listen(hooks: ListenHooks) {
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: options.maxPayload,
        perMessageDeflate: false, // DESIGN §2: compression off (and no zip-bomb or CRIME surface)
        clientTracking: false,
      });
      const live = new Set<WsConnection>();
      const route: HttpRoute = {
        path: endpoint.path,
        checkUpgrade(req) {
          const refusal = originRefusal(req, options.origins);
          return refusal === undefined ? undefined : { status: 403, text: refusal };
        },
        upgrade(req, socket, head) {
          wss.handleUpgrade(req, socket, head, (ws) => {
            const peer = formatHostPort(req.socket.remoteAddress, req.socket.remotePort);
            const connection = new WsConnection(ws, name, peer, true);
            live.add(connection);
            ws.once('close', () => live.delete(connection));
            hooks.onConnection(connection);
          });
        },
        onRequest: hooks.onHttpRequest ?? page,
      };
      const host = await acquireHost(name, endpoint.host, endpoint.port, tls, tlsIdentity, (peer, error) =>
        hooks.onRejected?.(peer, error),
      );
      try {
        host.add(route);
      } catch (err) {
        await host.closeIfEmpty();
        releaseHost(host);
        throw err;
      }
      // One timer per listener, not per connection (ws's README heartbeat).
      const heartbeat =
        options.pingIntervalMs === 0
          ? undefined
          : setInterval(() => {
              for (const c of live) {
                if (!c.alive) {
                  c.pongMissing(options.pingIntervalMs);
                  continue;
                }
                c.alive = false;
                c.ws.ping();
              }
            }, options.pingIntervalMs).unref();
      const bound = { transport: name, host: endpoint.host, port: host.port, path: endpoint.path };
      let closing: Promise<void> | undefined;
      return {
        address: { ...bound, url: formatEndpoint(bound) },
        close: () =>
          (closing ??= (async () => {
            clearInterval(heartbeat);
            await host.remove(route);
            releaseHost(host);
          })()),
      };
    },
  };
}

function handshakeError(peer: string, path: string, status: number, message: string): Error {
  const hint =
    status === 404
      ? `no WebSocket listener at ${path}; check the path`
      : status === 403
        ? 'the server refused this origin'
        : status === 426
          ? 'it wants a WebSocket upgrade'
          : 'is it a switchboard ws:// listener?';
  return new WebSocketHandshakeError(peer, `HTTP ${status} ${message}; ${hint}`);
}

function connectWs(
  name: TransportName,
  endpoint: Endpoint,
  options: TransportConnectOptions,
): Promise<Connection> {
  const peer = formatHostPort(endpoint.host, endpoint.port);
  const limit = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const url = formatEndpoint(endpoint);
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: DEFAULT_WS_MAX_PAYLOAD,
    handshakeTimeout: limit,
    ...(name === 'wss' && clientTlsOptions(endpoint, options)),
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      if (/handshake has timed out/i.test(err.message)) return reject(new ConnectTimeoutError(peer, limit));
      reject(name === 'wss' ? tlsConnectError(peer, endpoint.host, err) : connectError(peer, err));
    };
    ws.once('error', onError);
    ws.once('unexpected-response', (_req, res) => {
      ws.removeListener('error', onError);
      ws.on('error', () => undefined);
      reject(handshakeError(peer, endpoint.path, res.statusCode ?? 0, res.statusMessage ?? ''));
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.removeListener('error', onError);
      const socket = (ws as unknown as { _socket: { setNoDelay(on: boolean): void } })._socket;
      socket.setNoDelay(true);
      resolve(new WsConnection(ws, name, peer, false));
    });
  });
}

function wsTransport(name: 'ws' | 'wss'): ConnectionTransport {
  return {
    name,
    kind: 'message',
    connectParams: name === 'wss' ? TLS_CONNECT_PARAMS : [],
    prepare: (endpoint, params, defaults) => listenWs(name, endpoint, params, defaults),
    connect: (endpoint, options) => connectWs(name, endpoint, options),
  };
}

export const wsPlainTransport = wsTransport('ws');
export const wssTransport = wsTransport('wss');
