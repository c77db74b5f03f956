import { MetricsUrlError } from '../errors.js';

/** Where the metrics endpoint listens, or where `top` reads it. */
export interface MetricsUrl {
  /** Host without brackets; loopback unless the URL names another. */
  readonly host: string;
  readonly port: number;
}

/**
 * `http://HOST:PORT` (DESIGN §9), or a bare `PORT` on 127.0.0.1. The port is required: a metrics endpoint on a port nobody chose
 * is one nobody scrapes. A trailing `/` or, for `top`, a path (`/varz`, `/metrics`) is accepted and
 * ignored only where `allowPath` says so.
 *
 * @throws MetricsUrlError
 */
export function parseMetricsUrl(input: string, allowPath = false): MetricsUrl {
  // DESIGN §2: loopback unless asked. `9464` and `:9464` are short for http://127.0.0.1:9464.
  const bare = /^:?(\d+)$/.exec(input);
  if (bare !== null) return parseMetricsUrl(`http://127.0.0.1:${bare[1]}`, allowPath);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new MetricsUrlError(input, 'not a URL');
  }
  if (url.protocol !== 'http:') throw new MetricsUrlError(input, `scheme ${url.protocol} is not http:`);
  // URL drops a default port (80) and an absent one alike: look at what was written.
  const written = /^http:\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d*))?/i.exec(input);
  const portText = written?.[2];
  if (portText === undefined || portText === '') throw new MetricsUrlError(input, 'the port is missing');
  const port = Number(portText);
  if (!Number.isInteger(port) || port > 65_535)
    throw new MetricsUrlError(input, `port ${portText} is out of range`);
  if (url.hostname === '') throw new MetricsUrlError(input, 'the host is missing');
  if (!allowPath && url.pathname !== '/') {
    throw new MetricsUrlError(
      input,
      `a path (${url.pathname}) is not used: /metrics, /healthz and /varz are fixed`,
    );
  }
  if (url.search !== '' || url.hash !== '')
    throw new MetricsUrlError(input, 'a query or fragment is not used');
  if (url.username !== '' || url.password !== '')
    throw new MetricsUrlError(input, 'credentials are not used');
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** `http://HOST:PORT` for a host and port, IPv6 in brackets. */
export function formatMetricsUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
