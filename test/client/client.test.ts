import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connect, type Client } from '../../src/client/client.js';
import { ErrorCode } from '../../src/errors.js';
import { serve, type ListenerSpec, type ServeOptions } from '../../src/server/serve.js';
import type { Service } from '../../src/services/service.js';

async function server(spec: ListenerSpec | ListenerSpec[], options: ServeOptions = {}) {
  const s = await serve(spec, options);
  onTestFinished(() => s.close());
  return s;
}

async function client(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Client> {
  const c = await connect(url, options);
  onTestFinished(() => c.close());
  return c;
}

describe('connect()', () => {
  it('matches pipelined replies to requests in order', async () => {
    const s = await server('upper@tcp://127.0.0.1:0?framing=len32be');
    const c = await client(`${s.listeners[0]!.url}?framing=len32be`);
    const words = Array.from({ length: 200 }, (_, i) => `word-${i}`);
    const replies = await Promise.all(words.map((w) => c.request(w)));
    expect(replies.map(String)).toEqual(words.map((w) => w.toUpperCase()));
  });

  it('keeps order when a custom async service answers out of time', async () => {
    const slowFirst = async (m: Buffer): Promise<string> => {
      await new Promise((r) => setTimeout(r, m.toString() === 'slow' ? 50 : 0));
      return `got ${m.toString()}`;
    };
    const s = await server({ url: 'tcp://127.0.0.1:0?framing=line', service: slowFirst });
    const c = await client(`${s.listeners[0]!.url}?framing=line`);
    const replies = await Promise.all(['slow', 'fast', 'faster'].map((m) => c.request(m)));
    expect(replies.map(String)).toEqual(['got slow', 'got fast', 'got faster']);
  });

  it('refuses request() in raw framing, where replies have no boundaries', async () => {
    const s = await server('upper@tcp://127.0.0.1:0');
    const c = await client(s.listeners[0]!.url);
    await expect(c.request('x')).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED });
  });

  it('iterates over messages no request claimed, holding them without loss while nobody reads', async () => {
    const count = 3000;
    const chatty: Service = {
      name: 'chatty',
      onMessage: () => undefined,
      onOpen: (session) => {
        for (let i = 0; i < count; i++) session.send(`m${i}`);
        session.close();
      },
    };
    const s = await server({ url: 'tcp://127.0.0.1:0?framing=line', service: chatty });
    const c = await client(`${s.listeners[0]!.url}?framing=line`, { inboxLimit: 100 });
    await new Promise((r) => setTimeout(r, 100)); // let the inbox fill and the client pause reading
    const seen: string[] = [];
    for await (const m of c) seen.push(m.toString());
    expect(seen).toHaveLength(count);
    expect(seen[0]).toBe('m0');
    expect(seen[count - 1]).toBe(`m${count - 1}`);
  });

  it('end() half-closes and resolves after the last reply', async () => {
    const s = await server('upper@tcp://127.0.0.1:0');
    const c = await client(s.listeners[0]!.url);
    const received: Buffer[] = [];
    c.on('message', (m) => received.push(m));
    c.send('half');
    c.send('-closed');
    await c.end();
    expect(Buffer.concat(received).toString()).toBe('HALF-CLOSED');
  });

  it('close() is idempotent and rejects requests in flight', async () => {
    const never: Service = { name: 'never', onMessage: () => new Promise(() => undefined) };
    // The server would wait out its shutdown deadline for a reply that never comes: keep it short.
    const s = await server(
      { url: 'tcp://127.0.0.1:0?framing=line', service: never },
      { shutdownTimeoutMs: 100 },
    );
    const c = await client(`${s.listeners[0]!.url}?framing=line`);
    const pending = c.request('hello?');
    await Promise.all([c.close(), c.close()]);
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
    expect(() => c.send('x')).toThrow(/client is closed/);
  });

  it('times out a request with no reply, naming the peer', async () => {
    const s = await server({ url: 'tcp://127.0.0.1:0?framing=line', service: () => undefined });
    const c = await client(`${s.listeners[0]!.url}?framing=line`, { requestTimeoutMs: 100 });
    await expect(c.request('anyone?')).rejects.toMatchObject({
      code: ErrorCode.REQUEST_TIMEOUT,
      message: expect.stringMatching(/tcp:\/\/127\.0\.0\.1:\d+: no reply within 100 ms/),
    });
  });

  it('reconnects with backoff when the server restarts on the same port', async () => {
    const first = await serve('upper@tcp://127.0.0.1:0?framing=line');
    const url = first.listeners[0]!.url;
    const c = await client(`${url}?framing=line`, { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    expect((await c.request('before')).toString()).toBe('BEFORE');
    const disconnected = once(c, 'disconnect');
    await first.close();
    await disconnected;
    await server(`upper@${url}?framing=line`);
    await once(c, 'reconnect');
    expect((await c.request('after')).toString()).toBe('AFTER');
  });

  it('alternates: connects to the first URL that answers, and reconnects round robin', async () => {
    const dead = await serve('upper@tcp://127.0.0.1:0?framing=line');
    const deadUrl = dead.listeners[0]!.url;
    await dead.close();
    const a = await serve('upper@tcp://127.0.0.1:0?framing=line');
    const b = await server('echo@tcp://127.0.0.1:0?framing=line');
    const aUrl = a.listeners[0]!.url;
    const bUrl = b.listeners[0]!.url;
    // The first URL refuses: the next one is tried at once.
    const c = await client(deadUrl, {
      framing: 'line',
      alternates: [aUrl, bUrl],
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    expect(c.url).toBe(aUrl);
    expect((await c.request('a')).toString()).toBe('A');
    // a goes away and stays away: the next attempt goes to b (upper there is echo: it tells them apart).
    const tried: string[] = [];
    c.on('reconnecting', ({ url }) => tried.push(url));
    const reconnected = once(c, 'reconnect');
    await a.close();
    await reconnected;
    expect(tried[0]).toBe(bUrl);
    expect(c.url).toBe(bUrl);
    expect((await c.request('b')).toString()).toBe('b');
    await expect(connect(deadUrl, { alternates: [`${aUrl}?colour=red`] })).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
    });
  });

  it('without reconnect, reports the server going away through closed and close', async () => {
    const s = await serve('upper@tcp://127.0.0.1:0?framing=line');
    const c = await client(`${s.listeners[0]!.url}?framing=line`);
    const closed = once(c, 'close');
    await s.close();
    await closed;
    await c.closed;
    expect(() => c.send('x')).toThrow();
  });

  it('speaks UDP: request/reply, and an empty datagram gets an empty reply', async () => {
    const s = await server('upper@udp://127.0.0.1:0');
    const c = await client(s.listeners[0]!.url);
    expect((await c.request('datagram')).toString()).toBe('DATAGRAM');
    expect((await c.request(Buffer.alloc(0))).length).toBe(0);
  });

  it('names the peer when refused, and rejects unknown URL options', async () => {
    const s = await serve('upper@tcp://127.0.0.1:0');
    const url = s.listeners[0]!.url;
    await s.close();
    await expect(connect(url)).rejects.toMatchObject({
      code: ErrorCode.CONNECTION_REFUSED,
      peer: url.replace('tcp://', ''),
    });
    await expect(connect(`${url}?colour=red`)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION });
  });
});
