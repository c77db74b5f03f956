import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { frame, peer, startServer } from '../helpers/socket.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deadlines and budgets (issue 13)', () => {
  it('closes a connection whose begun message does not finish within messageTimeout, and says why', async () => {
    const server = await startServer('echo@tcp://127.0.0.1:0?framing=len32be&messageTimeout=300');
    const port = server.listeners[0]!.port;
    const slow = await peer(port);
    const started = performance.now();
    // A header announcing 100 bytes, then 10 of them, then nothing: a slowloris.
    slow.socket.write(Buffer.concat([frame('x'.repeat(100)).subarray(0, 14)]));
    await slow.ended;
    const tookMs = performance.now() - started;
    expect(slow.received().subarray(4).toString()).toBe('error: message not finished within 300 ms; closing');
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(tookMs).toBeLessThan(3_000);
  });

  it('does not cut a peer whose messages each finish in time, however long it keeps sending', async () => {
    const server = await startServer('echo@tcp://127.0.0.1:0?framing=len32be&messageTimeout=300');
    const steady = await peer(server.listeners[0]!.port);
    // Every read ends mid-message, for ~1.3 s in all: each message finishes within 150 ms.
    const whole = Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(`message ${i}`)));
    for (let at = 0; at < whole.length; at += 11) {
      steady.socket.write(whole.subarray(at, at + 11));
      await sleep(50);
    }
    await steady.until((b) => b.length === whole.length);
    expect(steady.received().equals(whole)).toBe(true);
    expect(steady.socket.destroyed).toBe(false);
  });

  it('limits the connections of one address with maxPerAddress, telling the next one why', async () => {
    const server = await startServer('upper@tcp://127.0.0.1:0?framing=line&maxPerAddress=2');
    const port = server.listeners[0]!.port;
    const first = await peer(port);
    await peer(port);
    const third = await peer(port);
    await third.ended;
    expect(third.text()).toBe('error: too many connections from 127.0.0.1 (2); close some and try again\n');
    first.socket.destroy();
    await expect.poll(() => server.connections).toBe(1);
    const again = await peer(port);
    again.socket.write('ok\n');
    await again.until((b) => b.toString() === 'OK\n');
  });

  it('frees a refused ("server full") connection at once, even if its peer keeps its side open', async () => {
    const server = await startServer('upper@tcp://127.0.0.1:0?framing=line&maxConnections=1');
    const port = server.listeners[0]!.port;
    await peer(port);
    const refused = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    refused.on('error', () => undefined);
    onTestFinished(() => {
      refused.destroy();
    });
    let text = '';
    refused.on('data', (d: Buffer) => (text += d.toString()));
    await once(refused, 'end');
    expect(text).toBe('error: server full (1 connections); try again later\n');
    // Before: the server held the socket open for 5 s waiting for this peer's FIN. Now it is
    // closed once the notice is out: what the peer writes a moment later is answered by a reset,
    // and its next write fails (EPIPE) instead of being taken by a socket nobody reads.
    const closed = new Promise((resolve) => refused.once('close', resolve));
    await sleep(1_200);
    refused.write('anyone there?\n');
    await sleep(100);
    refused.write('hello?\n');
    await closed;
  });

  it('sheds the costliest connections when partial input passes the memory budget', async () => {
    const budget = 2_000_000;
    const server = await startServer('echo@tcp://127.0.0.1:0?framing=len32be', {
      memoryBudgetBytes: budget,
    });
    const port = server.listeners[0]!.port;
    const canary = await peer(port);
    const heavy = await Promise.all(Array.from({ length: 5 }, () => peer(port)));
    // Each announces a 1 MiB frame and sends all but its last byte: 5 MB held in all.
    const body = Buffer.alloc(1024 * 1024, 0x61);
    for (const h of heavy) h.socket.write(frame(body).subarray(0, 4 + body.length - 1));
    await Promise.all(
      heavy
        .slice(0, 3)
        .map(() =>
          expect
            .poll(() => heavy.filter((h) => h.socket.destroyed).length, { timeout: 5_000 })
            .toBeGreaterThanOrEqual(3),
        ),
    );
    // What is left fits in 90 % of the budget; the canary, holding nothing, is still served.
    expect(heavy.filter((h) => !h.socket.destroyed).length).toBeLessThanOrEqual(1);
    canary.socket.write(frame('still here'));
    await canary.until((b) => b.equals(frame('still here')));
  });
});
