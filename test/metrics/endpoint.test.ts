import { describe, expect, it, onTestFinished } from 'vitest';
import { MetricsUrlError } from '../../src/errors.js';
import { parseMetricsUrl } from '../../src/metrics/metrics-url.js';
import { startMetricsEndpoint } from '../../src/metrics/http-endpoint.js';
import type { Varz } from '../../src/metrics/varz.js';
import { serve } from '../../src/server/serve.js';
import { runCli } from '../helpers/cli.js';
import { frame, peer, startServer } from '../helpers/socket.js';
import { get } from './scrape.js';

describe('/healthz', () => {
  it('answers 200 {"status":"ok"} while every listener is up', async () => {
    const server = await startServer(['upper@tcp://127.0.0.1:0', 'chat@tcp://127.0.0.1:0'], {
      metrics: 'http://127.0.0.1:0',
    });
    const answer = await get(server.metrics!.url, '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });

  it('answers 503 with the reason once a listener is down', async () => {
    const server = await serve('upper@tcp://127.0.0.1:0');
    const endpoint = await startMetricsEndpoint(server, 'http://127.0.0.1:0');
    onTestFinished(() => endpoint.close());
    const url = server.listeners[0]!.url;
    await server.close();
    const answer = await get(endpoint.address.url, '/healthz');
    expect(answer.status).toBe(503);
    const body = JSON.parse(answer.body) as { status: string; reasons: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.reasons).toContain(`listener upper@${url} is down`);
    expect(body.reasons).toContain('server shutting down');
  });
});

describe('/varz', () => {
  it('is JSON with uptime, connections, totals and one entry per listener', async () => {
    const server = await startServer(['upper@tcp://127.0.0.1:0?framing=len32be', 'chat@tcp://127.0.0.1:0'], {
      metrics: 'http://127.0.0.1:0',
    });
    const p = await peer(server.listeners[0]!.port);
    p.socket.write(Buffer.concat([frame('a'), frame('bc')]));
    await p.until((r) => r.length === frame('a').length + frame('bc').length);

    const answer = await get(server.metrics!.url, '/varz');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    const varz = JSON.parse(answer.body) as Varz;
    expect(varz).toMatchObject({
      server: 'switchboard',
      status: 'ok',
      connections: 1,
      total_connections: 1,
      in_msgs: 2,
      out_msgs: 2,
      in_bytes: 11,
      out_bytes: 11,
      backplane: { kind: 'memory', up: true },
      chat: { hubs: 1, members: 0, rooms: 1 },
    });
    expect(varz.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(varz.start)).toBeLessThanOrEqual(Date.parse(varz.now));
    expect(varz.listeners.map((l) => [l.service, l.url, l.up])).toEqual(
      server.listeners.map((l) => [l.service, l.url, true]),
    );
    expect(varz.listeners[0]).toMatchObject({ connections: 1, in_msgs: 2, out_msgs: 2, closes: {} });
  });

  it('answers 404 naming the paths it has, and 405 to a POST', async () => {
    const server = await startServer('upper@tcp://127.0.0.1:0', { metrics: 'http://127.0.0.1:0' });
    const answer = await get(server.metrics!.url, '/nope');
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('/metrics, /healthz, /varz');
  });
});

describe('the metrics URL', () => {
  it('needs a port, and says so as a usage error', () => {
    expect(() => parseMetricsUrl('http://127.0.0.1')).toThrow(MetricsUrlError);
    expect(() => parseMetricsUrl('http://127.0.0.1')).toThrow(/the port is missing/);
    expect(() => parseMetricsUrl('https://127.0.0.1:9464')).toThrow(/scheme https: is not http:/);
    expect(() => parseMetricsUrl('http://127.0.0.1:9464/metrics')).toThrow(/a path/);
    expect(parseMetricsUrl('http://127.0.0.1:9464/')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsUrl('http://[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseMetricsUrl(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('serve() with a bad metrics URL rejects (the listeners it started are closed)', async () => {
    await expect(serve('upper@tcp://127.0.0.1:0', { metrics: 'http://127.0.0.1' })).rejects.toThrow(
      MetricsUrlError,
    );
  });

  it('serve --metrics without a port exits 2 with one line', async () => {
    const result = await runCli(['serve', '--metrics', 'http://127.0.0.1', 'upper@tcp://127.0.0.1:0']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/invalid metrics URL 'http:\/\/127\.0\.0\.1': the port is missing/);
  });
});
