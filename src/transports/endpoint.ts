import { InvalidEndpointError } from '../errors.js';
import { TRANSPORT_NAMES, type BoundAddress, type TransportName } from './transport.js';

/** DESIGN §2: the default host is loopback, never all interfaces unless asked. */
export const DEFAULT_HOST = '127.0.0.1';

export { TRANSPORT_NAMES };

/** A parsed endpoint URL: `tcp://127.0.0.1:8088?framing=line`, `udp://:0`, `unix:///tmp/sb.sock`. */
export interface Endpoint {
  readonly transport: TransportName;
  /** Host for tcp/udp (brackets removed from IPv6 literals); '' for unix. */
  readonly host: string;
  /** Port for tcp/udp (0 = any free port); 0 for unix. */
  readonly port: number;
  /** Socket path for unix; the HTTP path for ws/wss (default `/`); '' otherwise. */
  readonly path: string;
  readonly params: URLSearchParams;
}

/** Schemes with a host and a port; ws and wss also take a path after them (DESIGN §2). */
const HOST_PORT_SCHEMES = new Set<string>(['tcp', 'udp', 'tls', 'ws', 'wss']);
const PATH_SCHEMES = new Set<string>(['ws', 'wss']);

function parsePort(input: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) {
    throw new InvalidEndpointError(input, `port '${text}' is not a number from 0 to 65535`);
  }
  return Number(text);
}

/**
 * Parse an endpoint. `host:port` alone means TCP, as for `nc`; a missing host means 127.0.0.1.
 * @throws InvalidEndpointError naming what is wrong.
 */
export function parseEndpoint(input: string): Endpoint {
  const text = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || (!text.startsWith(`${scheme}:/`) && scheme !== 'unix')) {
    // No scheme: `127.0.0.1:8088`, `:8088`, `localhost:80` — TCP, like nc.
    if (/^(\[[^\]]*\]|[^/:?]*):\d+(\?.*)?$/.test(text)) return parseEndpoint(`tcp://${text}`);
    throw new InvalidEndpointError(input, 'missing scheme');
  }
  const queryAt = text.indexOf('?');
  const params = new URLSearchParams(queryAt === -1 ? '' : text.slice(queryAt + 1));
  const body = text.slice(scheme.length + 1, queryAt === -1 ? undefined : queryAt);

  if (scheme === 'unix') {
    // unix:///tmp/sb.sock, unix:/tmp/sb.sock and unix://./relative.sock all name a path.
    const path = body.startsWith('//') ? body.slice(2) : body;
    if (path === '') throw new InvalidEndpointError(input, 'no socket path');
    return { transport: 'unix', host: '', port: 0, path: decodeURIComponent(path), params };
  }
  if (!HOST_PORT_SCHEMES.has(scheme)) {
    throw new InvalidEndpointError(input, `unknown scheme '${scheme}'`);
  }
  const rest = body.replace(/^\/\//, '');
  const slash = rest.indexOf('/');
  let authority = slash === -1 ? rest : rest.slice(0, slash);
  let path = '';
  if (PATH_SCHEMES.has(scheme)) {
    path = slash === -1 ? '/' : decodeURI(rest.slice(slash));
  } else if (slash !== -1 && slash !== rest.length - 1) {
    throw new InvalidEndpointError(input, `${scheme}:// takes no path after HOST:PORT`);
  }
  authority = authority.replace(/\/$/, '');
  const match = /^(\[([^\]]+)\]|([^:/[\]]*)):(\d+|[^/]*)$/.exec(authority);
  if (match === null) {
    throw new InvalidEndpointError(input, authority.includes(':') ? 'malformed host' : 'no port');
  }
  const host = match[2] ?? (match[3] === '' ? DEFAULT_HOST : match[3]!);
  return { transport: scheme as TransportName, host, port: parsePort(input, match[4]!), path, params };
}

/** The endpoint written back as a URL, without its query: what a banner or a log line shows. */
export function formatEndpoint(endpoint: Pick<Endpoint, 'transport' | 'host' | 'port' | 'path'>): string {
  if (endpoint.transport === 'unix') return `unix://${endpoint.path}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.transport}://${host}:${endpoint.port}${PATH_SCHEMES.has(endpoint.transport) ? endpoint.path : ''}`;
}

/** What a listener reports once bound: the endpoint with its real port (DESIGN §2: port 0 resolved). */
export function boundAddress(endpoint: Endpoint, port: number): BoundAddress {
  const bound = { transport: endpoint.transport, host: endpoint.host, port, path: endpoint.path };
  return { ...bound, url: formatEndpoint(bound) };
}

/** `host:port` for TCP/UDP peers, as `nc` and logs show them. */
export function formatHostPort(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}
