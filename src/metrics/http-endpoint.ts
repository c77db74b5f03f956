import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { listenError } from '../errors.js';
import type { MetricsAddress, Server } from '../server/serve.js';
import { listenServer } from '../transports/listen-server.js';
import { wsServerCloseCodes } from '../transports/ws-connection.js';
import { health } from './health.js';
import { formatMetricsUrl, parseMetricsUrl } from './metrics-url.js';
import { createMetricsRegistry } from './registry.js';
import { varz } from './varz.js';

export const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A running metrics endpoint: `/metrics`, `/healthz`, `/varz`. */
export interface MetricsEndpoint {
  readonly address: MetricsAddress;
  /** Stop serving; idempotent. */
  close(): Promise<void>;
}

/**
 * Serve a server's metrics over HTTP (DESIGN §9): `/metrics` (Prometheus text format, our metrics
 * and Node's defaults, from a registry of our own), `/healthz` (200 `{"status":"ok"}`, or 503 with
 * the reasons) and `/varz` (a JSON summary, as NATS). `serve(…, { metrics })` calls this; a
 * program may call it for any `Server`.
 *
 * @example const endpoint = await startMetricsEndpoint(server, 'http://127.0.0.1:0')
 * @throws MetricsUrlError | AddressInUseError | PermissionDeniedError
 */
export async function startMetricsEndpoint(server: Server, url: string): Promise<MetricsEndpoint> {
  const metrics = createMetricsRegistry(() => server.stats(), version);
  return startMetricsHttp(url, {
    '/metrics': async (res) => {
      const text = await metrics.scrape();
      res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
    },
    '/healthz': (res) => {
      const h = health(server.stats());
      json(res, h.status === 'ok' ? 200 : 503, h);
    },
    '/varz': (res) => json(res, 200, varz(server.stats(), version, wsServerCloseCodes)),
  });
}

/** What a metrics endpoint answers, by path: each route writes its whole answer. */
export type MetricsRoutes = Readonly<Record<string, (res: ServerResponse) => Promise<void> | void>>;

/**
 * The HTTP side of a metrics endpoint at `http://HOST:PORT`: GET and HEAD on the given paths, 404
 * naming them otherwise, 500 with the message when a route fails. One process's endpoint
 * (startMetricsEndpoint) and the `--workers` primary's, summed over its workers, share it.
 *
 * @throws MetricsUrlError | AddressInUseError | PermissionDeniedError
 */
export async function startMetricsHttp(url: string, routes: MetricsRoutes): Promise<MetricsEndpoint> {
  const { host, port } = parseMetricsUrl(url);
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[path];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (route === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`not found; try ${Object.keys(routes).join(', ')}\n`);
      return;
    }
    Promise.resolve(route(res)).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    });
  });
  // Keep-alive scrapers should not hold the process at shutdown.
  http.keepAliveTimeout = 5_000;
  try {
    await listenServer(http, { host, port });
  } catch (err) {
    throw listenError(formatMetricsUrl(host, port), err);
  }
  const bound = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    address: { host, port: bound, url: formatMetricsUrl(host, bound) },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      })),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}
