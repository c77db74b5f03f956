import { InvalidEndpointError, InvalidOptionError, SocketPathTooLongError } from '../errors.js';
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
  /**
   * unix listeners: the socket file's permission bits from `?mode=0660` (octal), applied after bind
   * and before the first connection is accepted; undefined keeps what the umask gives. It is the
   * transport's own option, so it is taken out of `params`.
   */
  readonly socketMode?: number;
  readonly params: URLSearchParams;
}

/** Schemes with a host and a port; ws and wss also take a path after them (DESIGN §2). */
const HOST_PORT_SCHEMES = new Set<string>(['tcp', 'udp', 'tls', 'ws', 'wss']);
const PATH_SCHEMES = new Set<string>(['ws', 'wss']);

/**
 * The longest Unix socket path in bytes: `sun_path` holds 108 bytes on Linux and 104 on macOS and
 * the BSDs, a NUL included. A longer path is not refused by the kernel: it is silently cut.
 */
export const MAX_UNIX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** `?mode=`: three octal digits, with an optional leading 0 (`0660`, `600`); no setuid/sticky bits. */
const SOCKET_MODE = /^0?[0-7]{3}$/;

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
    const raw = body.startsWith('//') ? body.slice(2) : body;
    if (raw === '') throw new InvalidEndpointError(input, 'no socket path');
    const path = decodePath(input, raw);
    if (path.includes('\0')) {
      throw new InvalidEndpointError(input, 'the socket path holds a NUL byte (%00); remove it');
    }
    const bytes = Buffer.byteLength(path);
    if (bytes > MAX_UNIX_PATH_BYTES) throw new SocketPathTooLongError(input, bytes, MAX_UNIX_PATH_BYTES);
    const socketMode = takeSocketMode(input, params);
    return {
      transport: 'unix',
      host: '',
      port: 0,
      path,
      params,
      ...(socketMode !== undefined && { socketMode }),
    };
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

function decodePath(input: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // Name the culprit: a % not followed by two hex digits, or a run of escapes that is not UTF-8.
    const lone = /%(?![0-9a-f]{2}).{0,2}/i.exec(raw)?.[0];
    const run = (raw.match(/(?:%[0-9a-f]{2})+/gi) ?? []).find((r) => {
      try {
        decodeURIComponent(r);
        return false;
      } catch {
        return true;
      }
    });
    const what =
      lone !== undefined
        ? `'${lone}' in the socket path is not a %-escape (% must be followed by two hex digits; write a literal % as %25)`
        : `'${run ?? raw}' in the socket path does not decode to UTF-8 (escape whole UTF-8 characters)`;
    throw new InvalidEndpointError(input, what);
  }
}

function takeSocketMode(input: string, params: URLSearchParams): number | undefined {
  const text = params.get('mode');
  if (text === null) return undefined;
  params.delete('mode');
  if (!SOCKET_MODE.test(text)) {
    throw new InvalidOptionError(
      `${input}: mode=${text} is not a file mode; give three octal digits such as 0660 (owner and group) or 0600 (owner only)`,
    );
  }
  return Number.parseInt(text, 8);
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
