import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { chatMember, type LineClient } from '../helpers/line-client.js';
import { measuredServer } from '../helpers/measured-server.js';
import { frozenPeer, startServer } from '../helpers/socket.js';

/**
 * A raw reader that counts lines per sender prefix without keeping 25 MB of text. With `hiccupMs`
 * it stops reading that long after every 8th read, as a busy client does (a GC pause, a terminal
 * that scrolls): flat-out senders would fill its queue in such a pause.
 */
function countingReader(
  port: number,
  hiccupMs = 0,
): { socket: Socket; count: Map<string, number>; notices: string[] } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  onTestFinished(() => {
    socket.destroy();
  });
  const count = new Map<string, number>();
  const notices: string[] = [];
  let partial = '';
  socket.setEncoding('latin1');
  let reads = 0;
  socket.on('data', (text: string) => {
    if (hiccupMs > 0 && ++reads % 8 === 0) {
      socket.pause();
      setTimeout(() => socket.resume(), hiccupMs);
    }
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('* ')) notices.push(line);
      else {
        const who = line.slice(0, line.indexOf('>') + 1);
        count.set(who, (count.get(who) ?? 0) + 1);
      }
    }
  });
  return { socket, count, notices };
}

/** Extra listener parameters, to watch the flat-out tests fail without stalls: STALL_QUERY='&stallMs=0'. */
const STALL = process.env.STALL_QUERY ?? '';

describe('chat flow control (DESIGN §6)', () => {
  it('three members pasting 300 lines each at once, default limits: everyone gets all 900, in one order', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0');
    const port = server.listeners[0]!.port;
    const pasters = await Promise.all(['p1', 'p2', 'p3'].map((n) => chatMember(port, n)));
    const watcher = await chatMember(port, 'watcher');
    const started = performance.now();
    pasters.forEach((p, i) =>
      p.socket.write(Array.from({ length: 300 }, (_, j) => `${i + 1}:${j}\n`).join('')),
    );
    const pasted = (c: LineClient) => c.lines.filter((l) => /^<p\d> \d:\d+$/.test(l));
    await expect.poll(() => pasted(watcher).length, { timeout: 40_000, interval: 100 }).toBe(900);
    const tookMs = performance.now() - started;
    for (const p of pasters) await expect.poll(() => pasted(p).length, { timeout: 5_000 }).toBe(600);
    // The figure for the note: 300 lines, a burst of 40, 20 lines/s: (300 - 40 + 1) / 20 = 13 s.
    console.log(`three pasters x 300 lines at 20/s: ${(tookMs / 1000).toFixed(1)} s (lines ÷ rate: 13.0 s)`);

    const order = pasted(watcher);
    pasters.forEach((p, i) => {
      // Each paster sees exactly the others' lines, in the order the watcher saw them.
      expect(pasted(p)).toEqual(order.filter((l) => !l.startsWith(`<p${i + 1}> `)));
      const own = order.filter((l) => l.startsWith(`<p${i + 1}> `)).map((l) => Number(l.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 300 }, (_, j) => j));
      expect(p.lines.filter((l) => l.startsWith('* slow down'))).toHaveLength(1);
      expect(p.socket.destroyed).toBe(false);
    });
  }, 60_000);

  it.each([
    ['as fast as they can', 0],
    ['with 50 ms hiccups', 50],
  ])(
    'two senders flat out, three readers %s, one frozen: only the frozen one is cut, the rest get every line',
    async (_, hiccupMs) => {
      const server = await measuredServer([
        // A 4 MiB queue: room for a reader descheduled for a while on a busy machine (the stalls
        // let ~128 KB through per 25 ms); flat-out senders with no stalls fill it in one hiccup.
        `chat@tcp://127.0.0.1:0?flood=0&maxMessage=65000&history=0&maxQueue=4194304${STALL}`,
      ]);
      const port = server.ports[0]!;
      await frozenPeer(port); // reads the greeting, then nothing more
      const readers = [
        countingReader(port, hiccupMs),
        countingReader(port, hiccupMs),
        countingReader(port, hiccupMs),
      ];
      const senders = await Promise.all(['s1', 's2'].map((n) => chatMember(port, n)));
      const before = await server.measure();

      const perSender = 400;
      const body = 'z'.repeat(32_000);
      await Promise.all(
        senders.map(async (s) => {
          for (let i = 0; i < perSender; i++) {
            if (!s.socket.write(`${body}\n`)) await once(s.socket, 'drain');
          }
        }),
      );
      for (const r of readers) {
        await expect
          .poll(() => [r.count.get('<s1>') ?? 0, r.count.get('<s2>') ?? 0], { timeout: 30_000, interval: 50 })
          .toEqual([perSender, perSender]);
      }
      const after = await server.measure();
      for (const r of readers) {
        expect(r.notices.filter((n) => n.includes('too slow')).map((n) => n.slice(0, 12))).toEqual([
          expect.stringMatching(/^\* guest-1 le/),
        ]);
        expect(r.socket.destroyed).toBe(false);
      }
      const kept = after.arrayBuffers - before.arrayBuffers;
      console.log(
        `2 senders x ${perSender} x 32 KB flat out, 3 readers (${hiccupMs} ms hiccups) + 1 frozen: buffers kept ${(kept / 1e6).toFixed(1)} MB, RSS +${((after.rss - before.rss) / 1e6).toFixed(1)} MB`,
      );
      // What stays is the frozen member's queue, until its connection's linger ends.
      expect(kept).toBeLessThan(4 * 1024 * 1024 + 1024 * 1024);
    },
    60_000,
  );

  it('a frozen member holds a sender back only for bounded stalls', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?flood=0&maxMessage=65000&history=0');
    const port = server.listeners[0]!.port;
    await frozenPeer(port); // reads the greeting, then nothing more
    const reader = await chatMember(port, 'reader');
    const sender = await chatMember(port, 'sender');
    // Lines stamped with their send time; the reader measures how late each arrives.
    const delays: number[] = [];
    reader.socket.on('data', () => {
      for (const line of reader.lines.splice(0)) {
        const m = /^<sender> (\d+\.\d+) /.exec(line);
        if (m !== null) delays.push(performance.now() - Number(m[1]));
      }
    });
    const pad = 'w'.repeat(16_000);
    // 2,000 lines of 16 KB at most, one every 2 ms: enough to fill the frozen member's kernel
    // buffers and its queue, until the hub cuts it; bounded in count and time.
    const deadline = performance.now() + 20_000;
    for (let i = 0; i < 2_000 && performance.now() < deadline; i++) {
      sender.send(`${performance.now().toFixed(3)} ${pad}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (reader.socket.destroyed) break;
    }
    await expect.poll(() => delays.length, { timeout: 10_000 }).toBeGreaterThan(100);
    const sorted = [...delays].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)]!;
    const max = sorted[sorted.length - 1]!;
    console.log(
      `frozen member: ${delays.length} lines, delivery delay p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (stall bound 25 ms per write, 2 s without progress)`,
    );
    expect(reader.socket.destroyed).toBe(false);
    // Generous: the bound is 25 ms a stall; scheduling on a shared 2-core machine adds to it.
    expect(max).toBeLessThan(1_000);
  }, 60_000);
});
