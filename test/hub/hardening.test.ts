import { once } from 'node:events';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import { chatMember } from '../helpers/line-client.js';
import { startServer } from '../helpers/socket.js';

describe('chat hub under hostile or unlucky input (issue 13)', () => {
  it('nine bursts of 40 lines of 4 KB at once cost none of 200 reading members their seat', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?history=0');
    const port = server.listeners[0]!.port;
    // 200 readers on raw sockets, counting newlines: as many members as the lobby.
    const readers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        onTestFinished(() => {
          socket.destroy();
        });
        let lines = 0;
        let slow = false;
        socket.on('data', (d: Buffer) => {
          for (const b of d) if (b === 0x0a) lines++;
          if (d.includes('too slow')) slow = true;
        });
        await once(socket, 'data');
        return { socket, lines: () => lines, slow: () => slow };
      }),
    );
    const senders = await Promise.all(Array.from({ length: 9 }, (_, i) => chatMember(port, `burst${i}`)));
    const line = 'b'.repeat(4_000);
    const start = readers.map((r) => r.lines());
    // One write each, all at once: 9 × 40 × 4 KB = 1.44 MB for every reader, inside the default
    // flood burst (40) and maxMessage (4096).
    for (const s of senders) s.socket.write(Array.from({ length: 40 }, () => `${line}\n`).join(''));
    await Promise.all(
      readers.map((r, i) =>
        expect
          .poll(() => r.lines() - start[i]!, { timeout: 30_000, interval: 50 })
          .toBeGreaterThanOrEqual(360),
      ),
    );
    expect(readers.filter((r) => r.slow() || r.socket.destroyed)).toHaveLength(0);
  }, 60_000);

  it('replays only the history that fits a joiner’s queue, and says what it left out', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?history=50&maxQueue=65536&flood=0');
    const port = server.listeners[0]!.port;
    const alice = await chatMember(port, 'alice');
    for (let i = 0; i < 50; i++) alice.send(`${i} ${'h'.repeat(4_000)}`);
    alice.send('/who');
    await alice.expect(/^\* lobby: /);
    const late = await chatMember(port);
    const notice = await late.expect(/^\* history: /);
    // Half of a 64 KiB queue holds 8 lines of ~4 KB: the newest 8 are replayed.
    expect(notice).toBe('* history: the last 8 messages in lobby; 42 older ones would not fit your queue');
    const replayed: string[] = [];
    for (let i = 0; i < 8; i++) replayed.push((await late.expect(/^\[history\]/)).slice(0, 23));
    expect(replayed[0]).toBe('[history] <alice> 42 hh');
    expect(replayed[7]).toBe('[history] <alice> 49 hh');
    await late.expect(/^\* end of history$/);
    expect(late.socket.destroyed).toBe(false);
  });

  it('applies maxMessage to what is relayed: invalid UTF-8 cannot triple a line past it', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0');
    const port = server.listeners[0]!.port;
    const mallory = await chatMember(port, 'mallory');
    const bob = await chatMember(port, 'bob');
    // 2,000 bytes in, 6,000 out once each bad byte becomes U+FFFD: over the 4,096-byte limit.
    mallory.socket.write(Buffer.concat([Buffer.alloc(2_000, 0xff), Buffer.from('\n')]));
    await mallory.expect(/^\* line too long once made valid UTF-8 \(6000 bytes, limit 4096\); not sent$/);
    mallory.send('fine');
    await bob.expect(/^<mallory> fine$/);
    expect(bob.lines.some((l) => l.includes('\ufffd'))).toBe(false);
  });

  it('closes an HTTP request on a chat port at once: its headers and body are never relayed or run', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0');
    const port = server.listeners[0]!.port;
    const bob = await chatMember(port, 'bob');
    const web = connect(port, '127.0.0.1');
    web.on('error', () => undefined);
    onTestFinished(() => {
      web.destroy();
    });
    web.resume(); // read the greeting, so the stream can end
    await once(web, 'connect');
    web.write(
      'POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\r\n/nick hijacked\nhello from a web page\n',
    );
    await once(web, 'close');
    bob.send('/who');
    expect(await bob.expect(/^\* lobby: /)).toBe('* lobby: bob (1 member)');
    expect(bob.lines.some((l) => /POST|Host:|hijacked|web page/.test(l))).toBe(false);
  });

  it('closes a TLS client on a chat port at once, before anything is relayed or kept', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?history=10');
    const port = server.listeners[0]!.port;
    const bob = await chatMember(port, 'bob');
    const tls = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    const failed = once(tls, 'error');
    await failed; // the server hangs up on the ClientHello: the handshake fails at once
    const late = await chatMember(port);
    late.send('/who');
    await late.expect(/^\* lobby: /);
    expect([...bob.lines, ...late.lines].some((l) => l.includes('\x16') || l.includes('[history]'))).toBe(
      false,
    );
  });
});
