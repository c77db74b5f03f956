/**
 * The web chat page's files (DESIGN §6), served from memory by a fixed allow-list: a request
 * path either names one of these files or is left to the host (404, or 426 on a WebSocket path).
 * No file-system path is ever built from a request, so there is nothing to traverse.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRequestHandler } from '../transports/http-host.js';

/**
 * Where the built page lives: `dist/web/page/` of the package. This module sits two folders below
 * the package root both as source (`src/web/`) and built (`dist/web/`), so one relative URL
 * finds the build from either (tests run the source against a built page).
 */
export const DEFAULT_PAGE_DIR = new URL('../../dist/web/page/', import.meta.url);

/**
 * DESIGN §6: only our own script, styles and WebSocket; no inline script or style, no framing by
 * other sites, no `<base>` games. 'self' covers ws:// to the page's own host:port (CSP Level 3).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where the page's script finds the WebSocket path: index.html's `data-ws-path` placeholder. */
const WS_PATH_PLACEHOLDER = '__SWITCHBOARD_WS_PATH__';

interface PageFile {
  readonly file: string;
  readonly type: string;
}

/** The allow-list: request path → file in the page folder. */
const FILES: ReadonlyMap<string, PageFile> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/app.js', { file: 'app.js', type: 'text/javascript; charset=utf-8' }],
  ['/style.css', { file: 'style.css', type: 'text/css; charset=utf-8' }],
  ['/favicon.svg', { file: 'favicon.svg', type: 'image/svg+xml' }],
]);

interface LoadedFile {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function load(dir: URL, webSocketPath: string): Map<string, LoadedFile> {
  const loaded = new Map<string, LoadedFile>();
  for (const [path, { file, type }] of FILES) {
    let body = readFileSync(new URL(file, dir));
    if (file === 'index.html') {
      body = Buffer.from(body.toString('utf8').replace(WS_PATH_PLACEHOLDER, escapeAttribute(webSocketPath)));
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    loaded.set(path, { type, body, etag });
  }
  return loaded;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

/** Headers every answer of the page carries, errors included. */
function baseHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

export interface PageOptions {
  /** The WebSocket path the page connects to (its listener's path). */
  readonly webSocketPath: string;
  /** The folder holding index.html, app.js, style.css, favicon.svg. @default DEFAULT_PAGE_DIR */
  readonly dir?: URL;
}

/**
 * A request handler serving the page's files. Files are read once, at the first request, and kept
 * in memory (a few kilobytes); answers carry `Cache-Control: no-cache` and an ETag, so a browser
 * revalidates each time and gets 304 while the server runs the same build.
 */
export function staticPageHandler(options: PageOptions): HttpRequestHandler {
  let files: Map<string, LoadedFile> | undefined;
  let loadError: string | undefined;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = pathOf(req.url);
    if (!FILES.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {
        ...baseHeaders(),
        Allow: 'GET, HEAD',
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end(`${req.method ?? 'this method'} is not served here; the page answers GET and HEAD\n`);
      return true;
    }
    if (files === undefined && loadError === undefined) {
      try {
        files = load(options.dir ?? DEFAULT_PAGE_DIR, options.webSocketPath);
      } catch (err) {
        loadError = `the web chat page is not built (${(err as Error).message}); run npm run build`;
      }
    }
    const file = files?.get(path);
    if (file === undefined) {
      res.writeHead(503, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${loadError ?? 'the web chat page is not available'}\n`);
      return true;
    }
    const headers = { ...baseHeaders(), 'Cache-Control': 'no-cache', ETag: file.etag };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Type': file.type, 'Content-Length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
