import { describe, expect, it } from 'vitest';
import { connect } from '../../src/client/client.js';
import { frame, peer, startServer } from '../helpers/socket.js';

describe('services over real sockets', () => {
  it('upper in raw mode is binary-safe', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const p = await peer(s.listeners[0]!.port);
    const bytes = Buffer.from([0x00, 0x61, 0xff, 0x0a, 0xc3, 0xa9, 0x7a]);
    p.socket.end(bytes);
    await p.ended;
    expect(p.received()).toEqual(Buffer.from([0x00, 0x41, 0xff, 0x0a, 0xc3, 0xa9, 0x5a]));
  });

  it('upper in len32le mode upper-cases Unicode and keeps binary frames whole', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=len32le');
    const c = await connect(`${s.listeners[0]!.url}?framing=len32le`);
    expect((await c.request('grüße')).toString()).toBe('GRÜSSE');
    expect(await c.request(Buffer.from([0xff, 0x61]))).toEqual(Buffer.from([0xff, 0x41]));
    expect(await c.request(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    await c.close();
  });

  it('echo returns every byte unchanged, in any framing', async () => {
    const s = await startServer('echo@tcp://127.0.0.1:0?framing=len32be');
    const p = await peer(s.listeners[0]!.port);
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    p.socket.write(frame(payload));
    await p.until((b) => b.length === 4 + 256);
    expect(p.received().subarray(4)).toEqual(payload);
  });

  it('time answers with the server time in ISO 8601 (a newline in raw mode)', async () => {
    const s = await startServer(['time@tcp://127.0.0.1:0', 'time@udp://127.0.0.1:0']);
    const p = await peer(s.listeners[0]!.port);
    p.socket.write('what time is it?');
    await p.until((b) => b.includes(0x0a));
    expect(p.text()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/);
    const u = await connect(s.listeners[1]!.url);
    const stamp = (await u.request('now')).toString();
    expect(Math.abs(Date.parse(stamp) - Date.now())).toBeLessThan(60_000);
    await u.close();
  });

  it('a custom service is a plain function, sync or async', async () => {
    const s = await startServer([
      { url: 'tcp://127.0.0.1:0?framing=line', service: (m) => `len=${m.length}` },
      { url: 'tcp://127.0.0.1:0?framing=line', service: (m) => Promise.resolve(m.reverse()) },
    ]);
    const a = await connect(`${s.listeners[0]!.url}?framing=line`);
    const b = await connect(`${s.listeners[1]!.url}?framing=line`);
    expect((await a.request('four')).toString()).toBe('len=4');
    expect((await b.request('abc')).toString()).toBe('cba');
    await Promise.all([a.close(), b.close()]);
  });
});
