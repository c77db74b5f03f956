import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect as clientConnect } from '../../src/client/client.js';
import { ErrorCode } from '../../src/errors.js';
import { serve } from '../../src/server/serve.js';
import type { Service } from '../../src/services/service.js';
import { frame, peer, startServer } from '../helpers/socket.js';

const run = promisify(execFile);

describe('stream server', () => {
  it('honours half-close: printf hello | nc -N gets HELLO (real OpenBSD nc)', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const { stdout } = await run('sh', ['-c', `printf hello | nc -N 127.0.0.1 ${s.listeners[0]!.port}`], {
      timeout: 5000,
    }).catch((err: Error) => {
      throw new Error(`nc failed (install netcat-openbsd: apt-get install netcat-openbsd): ${err.message}`);
    });
    expect(stdout).toBe('HELLO');
  });

  it('a peer that resets mid-frame costs only its own connection', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=len32be');
    const port = s.listeners[0]!.port;
    const steady = await peer(port);
    const rude = await peer(port);
    rude.socket.write(frame('never finished').subarray(0, 6));
    rude.socket.resetAndDestroy();
    await expect.poll(() => s.connections, { timeout: 5000 }).toBe(1);
    steady.socket.write(frame('still fine'));
    await steady.until((b) => b.length >= 4 + 10);
    expect(steady.received().subarray(4).toString()).toBe('STILL FINE');
  });

  it('a peer that half-closes mid-frame is logged as truncated and closed, others go on', async () => {
    const s = await startServer('echo@tcp://127.0.0.1:0?framing=len32le');
    const port = s.listeners[0]!.port;
    const quitter = await peer(port);
    quitter.socket.end(frame('cut', 'le').subarray(0, 5));
    await quitter.ended;
    const other = await peer(port);
    other.socket.write(frame('ok', 'le'));
    await other.until((b) => b.length === 6);
  });

  it('serves 1,000 concurrent clients × 10 pipelined requests, every reply correct', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=len32be');
    const url = `${s.listeners[0]!.url}?framing=len32be`;
    const started = Date.now();
    const clients = await Promise.all(Array.from({ length: 1000 }, () => clientConnect(url)));
    const replies = await Promise.all(
      clients.map((c, i) =>
        Promise.all(Array.from({ length: 10 }, (_, j) => c.request(`client ${i} req ${j}`))),
      ),
    );
    const elapsed = Date.now() - started;
    await Promise.all(clients.map((c) => c.close()));
    replies.forEach((rs, i) => expect(rs.map(String)).toEqual(rs.map((_, j) => `CLIENT ${i} REQ ${j}`)));
    console.log(`1000 clients x 10 requests: ${elapsed} ms including connects`);
  });

  it('restarts on the same port at once, even with the old connections in TIME_WAIT', async () => {
    const first = await serve('upper@tcp://127.0.0.1:0');
    const port = first.listeners[0]!.port;
    const p = await peer(port);
    p.socket.write('x');
    await p.until((b) => b.length === 1);
    await first.close(); // the server closes first, so its side of the connection sits in TIME_WAIT
    await p.ended;
    const second = await startServer(`upper@tcp://127.0.0.1:${port}`);
    expect(second.listeners[0]!.port).toBe(port);
  });

  it('turns away the client past maxConnections with a one-line reason', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?maxConnections=2');
    const port = s.listeners[0]!.port;
    await peer(port);
    await peer(port);
    const third = await peer(port);
    await third.ended;
    expect(third.text()).toBe('error: server full (2 connections); try again later');
  });

  it('closes an idle connection with a notice when idleTimeout is set, and not by default', async () => {
    const s = await startServer([
      'upper@tcp://127.0.0.1:0?framing=line&idleTimeout=100',
      'upper@tcp://127.0.0.1:0',
    ]);
    const idle = await peer(s.listeners[0]!.port);
    const patient = await peer(s.listeners[1]!.port);
    await idle.ended;
    expect(idle.text()).toBe('error: idle for 100 ms; closing\n');
    await new Promise((r) => setTimeout(r, 200));
    patient.socket.write('still here');
    await patient.until((b) => b.toString() === 'STILL HERE');
  });

  it('answers a frame over maxFrame with an error frame and a close, before the body is sent', async () => {
    const s = await startServer('echo@tcp://127.0.0.1:0?framing=len32be&maxFrame=10');
    const p = await peer(s.listeners[0]!.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(11);
    p.socket.write(header);
    await p.ended;
    const reply = p.received();
    expect(reply.readUInt32BE(0)).toBe(reply.length - 4);
    expect(reply.subarray(4).toString()).toBe(
      'error: frame of 11 bytes exceeds the limit of 10 bytes; closing',
    );
  });

  it('answers a line over maxLine with an error line and a close', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=line&maxLine=8');
    const p = await peer(s.listeners[0]!.port);
    p.socket.write('ok\n123456789');
    await p.ended;
    expect(p.text()).toBe('OK\nerror: line longer than 8 bytes; closing\n');
  });

  it('a slow async service throttles only its own peer, and replies keep their order', async () => {
    const slowForSome: Service = {
      name: 'slow',
      onMessage: async (m) => {
        if (m.toString().startsWith('slow')) await new Promise((r) => setTimeout(r, 300));
        return m;
      },
    };
    const s = await startServer({ url: 'tcp://127.0.0.1:0?framing=line', service: slowForSome });
    const slow = await peer(s.listeners[0]!.port);
    const fast = await peer(s.listeners[0]!.port);
    slow.socket.write('slow 1\nafter 1\n');
    fast.socket.write('fast\n');
    await fast.until((b) => b.toString() === 'fast\n');
    expect(slow.text()).toBe('');
    await slow.until((b) => b.toString() === 'slow 1\nafter 1\n');
  });

  it('a service that throws closes only that connection, with a notice', async () => {
    const fragile: Service = {
      name: 'fragile',
      onMessage: (m) => {
        if (m.toString() === 'boom') throw new Error('kaput');
        return m;
      },
    };
    const s = await startServer({ url: 'tcp://127.0.0.1:0?framing=line', service: fragile });
    const victim = await peer(s.listeners[0]!.port);
    const bystander = await peer(s.listeners[0]!.port);
    victim.socket.write('fine\nboom\n');
    await victim.ended;
    expect(victim.text()).toBe('fine\nerror: internal server error; closing\n');
    bystander.socket.write('hello\n');
    await bystander.until((b) => b.toString() === 'hello\n');
  });

  it('close() flushes replies under way, then closes every connection', async () => {
    const delayed: Service = {
      name: 'delayed',
      onMessage: async (m) => {
        await new Promise((r) => setTimeout(r, 100));
        return m;
      },
    };
    const s = await serve({ url: 'tcp://127.0.0.1:0?framing=line', service: delayed });
    const p = await peer(s.listeners[0]!.port);
    p.socket.write('last words\n');
    await new Promise((r) => setTimeout(r, 20));
    await s.close();
    await p.ended;
    expect(p.text()).toBe('last words\n');
    await expect(peer(s.listeners[0]!.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('close() drops what is still open after the shutdown deadline', async () => {
    const never: Service = { name: 'never', onMessage: () => new Promise(() => undefined) };
    const s = await serve(
      { url: 'tcp://127.0.0.1:0?framing=line', service: never },
      { shutdownTimeoutMs: 100 },
    );
    const p = await peer(s.listeners[0]!.port);
    p.socket.write('are you there?\n');
    await new Promise((r) => setTimeout(r, 20));
    await s.close();
    await p.ended;
    expect(s.connections).toBe(0);
  });

  it('reports a port in use as ADDRESS_IN_USE naming the address', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const port = s.listeners[0]!.port;
    await expect(serve(`upper@tcp://127.0.0.1:${port}`)).rejects.toMatchObject({
      code: ErrorCode.ADDRESS_IN_USE,
      message: `127.0.0.1:${port} is already in use; pick another port or use :0`,
    });
  });

  it('closes listeners already started when a later one fails', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const taken = s.listeners[0]!.url;
    const probe = await serve('upper@tcp://127.0.0.1:0');
    const free = probe.listeners[0]!.port;
    await probe.close();
    await expect(serve([`upper@tcp://127.0.0.1:${free}`, `upper@${taken}`])).rejects.toThrow(
      /already in use/,
    );
    const again = connect(free, '127.0.0.1');
    const [err] = (await once(again, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});
