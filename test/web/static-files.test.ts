import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/web/static-files.js';
import { startServer } from '../helpers/socket.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request (path sent as is, no normalisation), bounded in time. */
function get(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function chatPort(query = ''): Promise<number> {
  const server = await startServer(`chat@ws://127.0.0.1:0/chat${query}`);
  return server.listeners[0]!.port;
}

describe('web chat page files (DESIGN §6)', () => {
  it('serves the page at / with its content type, CSP, nosniff and a revalidated cache', async () => {
    const port = await chatPort();
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    // The page learns its WebSocket path from the listener; no inline script or style.
    expect(page.body).toContain('data-ws-path="/chat"');
    expect(page.body).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    expect(page.body).not.toMatch(/https?:\/\//);

    const again = await get(port, '/', 'GET', { 'If-None-Match': page.headers.etag as string });
    expect(again.status).toBe(304);

    for (const [path, type] of [
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const file = await get(port, path);
      expect(file.status, path).toBe(200);
      expect(file.headers['content-type'], path).toBe(type);
      expect(file.headers['x-content-type-options'], path).toBe('nosniff');
    }
    const head = await get(port, '/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get(port, '/app.js', 'POST')).status).toBe(405);
  });

  it('answers 404 to anything off the allow-list, traversal included, and 426 on the WebSocket path', async () => {
    const port = await chatPort();
    for (const path of [
      '/../package.json',
      '/..%2f..%2fpackage.json',
      '/app.ts',
      '/protocol.js',
      '//etc/passwd',
      '/index.html/',
      '/style.css%00',
    ]) {
      expect((await get(port, path)).status, path).toBe(404);
    }
    expect((await get(port, '/chat')).status).toBe(426);
  });

  it('serves no page with ?page=off, and refuses another value', async () => {
    const port = await chatPort('?page=off');
    expect((await get(port, '/')).status).toBe(404);
    await expect(startServer('chat@ws://127.0.0.1:0/chat?page=maybe')).rejects.toThrow(/page=maybe/);
  });

  it('other services serve no page', async () => {
    const server = await startServer('echo@ws://127.0.0.1:0/echo');
    expect((await get(server.listeners[0]!.port, '/')).status).toBe(404);
  });
});
