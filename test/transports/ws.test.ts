import { once } from 'node:events';
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connect } from '../../src/client/client.js';
import { ErrorCode } from '../../src/errors.js';
import type { Service } from '../../src/services/service.js';
import { startServer } from '../helpers/socket.js';
import { wsClient } from '../helpers/ws-client.js';

function httpGet(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ws:// listeners', () => {
  it('one message = one message; text answers text, binary answers binary', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/');
    const c = await wsClient(s.listeners[0]!.url);
    c.ws.send('straße');
    expect(await c.next()).toEqual({ data: Buffer.from('STRASSE'), binary: false });
    c.ws.send(Buffer.from('abc'), { binary: true });
    expect(await c.next()).toEqual({ data: Buffer.from('ABC'), binary: true });
    c.ws.send('');
    expect(await c.next()).toEqual({ data: Buffer.alloc(0), binary: false });
  });

  it('a text request whose reply is not UTF-8 gets a binary reply', async () => {
    const s = await startServer({ url: 'ws://127.0.0.1:0/', service: () => Buffer.from([0xff, 0x00]) });
    const c = await wsClient(s.listeners[0]!.url);
    c.ws.send('give me bytes');
    expect(await c.next()).toEqual({ data: Buffer.from([0xff, 0x00]), binary: true });
  });

  it('several listeners share one port by path; unknown paths get 404, plain GETs 426', async () => {
    const first = await startServer('upper@ws://127.0.0.1:0/upper');
    const port = first.listeners[0]!.port;
    const second = await startServer(`echo@ws://127.0.0.1:${port}/echo`);
    expect(second.listeners[0]!.port).toBe(port);
    const upper = await connect(`ws://127.0.0.1:${port}/upper`);
    const echo = await connect(`ws://127.0.0.1:${port}/echo`);
    expect((await upper.request('hi')).toString()).toBe('HI');
    expect((await echo.request('hi')).toString()).toBe('hi');
    await Promise.all([upper.close(), echo.close()]);
    await expect(connect(`ws://127.0.0.1:${port}/nowhere`)).rejects.toMatchObject({
      code: ErrorCode.WEBSOCKET_HANDSHAKE,
      message: expect.stringMatching(/HTTP 404 .*no WebSocket listener at \/nowhere/),
    });
    expect(await httpGet(port, '/upper')).toMatchObject({ status: 426 });
    expect(await httpGet(port, '/other')).toMatchObject({ status: 404 });
  });

  it('the Origin rule: own host or listed origins; no Origin (CLI tools) accepted', async () => {
    const s = await startServer([
      'echo@ws://127.0.0.1:0/',
      'echo@ws://127.0.0.1:0/?origins=https://app.example',
      'echo@ws://127.0.0.1:0/?origins=*',
    ]);
    const [strict, listed, any] = s.listeners.map((l) => l.url);
    const port = s.listeners[0]!.port;
    await wsClient(strict!);
    await wsClient(strict!, { Origin: `http://127.0.0.1:${port}` });
    await expect(wsClient(strict!, { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await wsClient(listed!, { Origin: 'https://app.example' });
    await expect(wsClient(listed!, { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await wsClient(any!, { Origin: 'https://evil.example' });
  });

  it('shutdown: the last reply goes out, then close 1001 "server shutting down"', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/');
    const c = await wsClient(s.listeners[0]!.url);
    c.ws.send('last');
    expect((await c.next()).data.toString()).toBe('LAST');
    await s.close();
    expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });

  it('a peer that answers no ping is closed; one that does stays', async () => {
    const s = await startServer('echo@ws://127.0.0.1:0/?pingInterval=100');
    const good = await wsClient(s.listeners[0]!.url);
    // A bare TCP peer that upgrades and then never reads or answers anything.
    const mute = netConnect(s.listeners[0]!.port, '127.0.0.1');
    onTestFinished(() => {
      mute.destroy();
    });
    mute.on('error', () => undefined);
    mute.resume(); // reads, but never answers a ping
    await once(mute, 'connect');
    mute.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await once(mute, 'close');
    good.ws.send('still alive');
    expect((await good.next()).data.toString()).toBe('still alive');
  });

  it('a peer that stops reading is paused: the server holds a bounded backlog, not everything sent', async () => {
    let served = 0;
    const service: Service = {
      name: 'big-echo',
      onMessage: (m) => {
        served++;
        return Buffer.concat([m, m, m, m]);
      },
    };
    const s = await startServer({ url: 'ws://127.0.0.1:0/', service });
    const c = await wsClient(s.listeners[0]!.url);
    const raw = (c.ws as unknown as { _socket: Socket })._socket;
    raw.pause(); // stop reading replies: they pile up in the kernel, then in the server
    const chunk = Buffer.alloc(16 * 1024, 97);
    for (let i = 0; i < 2000 && raw.writableLength < 8 * 1024 * 1024; i++) c.ws.send(chunk);
    await new Promise((r) => setTimeout(r, 500));
    // 2000 x 64 KiB of replies would be 128 MiB; the server stopped reading long before.
    expect(served).toBeLessThan(1000);
    expect(s.connections).toBe(1);
  });

  it('chat over ws: one line per text message, no newline', async () => {
    const s = await startServer('chat@ws://127.0.0.1:0/chat');
    const a = await wsClient(s.listeners[0]!.url);
    const greeting = await a.next();
    expect(greeting.binary).toBe(false);
    expect(greeting.data.toString()).toMatch(/^\* welcome to switchboard chat, guest-\d+!.*[^\n]$/);
    const b = await connect(s.listeners[0]!.url);
    await b[Symbol.asyncIterator]().next(); // b's own greeting
    b.send('hello from b');
    for (;;) {
      const m = (await a.next()).data.toString();
      if (m.startsWith('<')) {
        expect(m).toMatch(/^<guest-\d+> hello from b$/);
        break;
      }
    }
    await b.close();
  });
});

describe('ws:// listeners sharing a port', () => {
  it('a second listener on a taken path is refused with a sentence; the first keeps serving', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/a');
    const port = s.listeners[0]!.port;
    await expect(startServer(`echo@ws://127.0.0.1:${port}/a`)).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      message: expect.stringMatching(/\/a already has a listener in this process/),
    });
    const c = await connect(`ws://127.0.0.1:${port}/a`);
    expect((await c.request('x')).toString()).toBe('X');
    await c.close();
  });

  it('pauseInput holds a WebSocket peer like a TCP one; order holds across the pause', async () => {
    const seen: string[] = [];
    const service: Service = {
      name: 'pausing',
      onMessage: (m, session) => {
        seen.push(m.toString());
        if (m.toString() === 'pause') {
          session.pauseInput();
          setTimeout(() => session.resumeInput(), 100);
        }
        return m;
      },
    };
    const s = await startServer({ url: 'ws://127.0.0.1:0/', service });
    const c = await connect(s.listeners[0]!.url);
    const replies = await Promise.all(['a', 'pause', 'b', 'c'].map((m) => c.request(m)));
    expect(replies.map(String)).toEqual(['a', 'pause', 'b', 'c']);
    expect(seen).toEqual(['a', 'pause', 'b', 'c']);
    await c.close();
  });
});
