import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/socket.js';
import { wsClient } from '../helpers/ws-client.js';

describe('ws:// server frames (one frame per payload, shared by every connection of a turn)', () => {
  it('every length class of RFC 6455 §5.2 arrives intact, as text and as binary', async () => {
    const s = await startServer('echo@ws://127.0.0.1:0/');
    const c = await wsClient(s.listeners[0]!.url);
    // 7-bit, 16-bit and 64-bit lengths; the largest goes through ws's own sender.
    for (const n of [0, 1, 125, 126, 127, 16 * 1024, 16 * 1024 + 1, 65_535, 65_536, 200_000]) {
      const text = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
      c.ws.send(text);
      const t = await c.next();
      expect(t.binary).toBe(false);
      expect(t.data.length).toBe(n);
      expect(t.data.toString('utf8')).toBe(text);
      const bytes = Buffer.alloc(n, n % 251);
      c.ws.send(bytes, { binary: true });
      expect(await c.next()).toEqual({ data: bytes, binary: true });
    }
  });

  it('one room line to members who last wrote text and binary: each gets its own type', async () => {
    const s = await startServer('chat@ws://127.0.0.1:0/chat');
    const url = s.listeners[0]!.url;
    const [a, b, c] = [await wsClient(url), await wsClient(url), await wsClient(url)];
    a.ws.send('/nick alice');
    await a.nextMatching(/alice/);
    c.ws.send(Buffer.from('/nick carol'), { binary: true });
    await c.nextMatching(/carol/);
    b.ws.send('/nick bob');
    await b.nextMatching(/bob/);
    b.ws.send('hello, both');
    expect(await a.nextMatching(/^<bob>/)).toEqual({ data: Buffer.from('<bob> hello, both'), binary: false });
    expect(await c.nextMatching(/^<bob>/)).toEqual({ data: Buffer.from('<bob> hello, both'), binary: true });
  });
});
