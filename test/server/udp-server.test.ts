import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAX_UDP_PAYLOAD } from '../../src/errors.js';
import { startServer } from '../helpers/socket.js';

function udpPeer(): Socket {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 1 << 20, recvBufferSize: 1 << 20 });
  onTestFinished(() => {
    socket.close();
  });
  return socket;
}

async function exchange(socket: Socket, port: number, payload: Buffer): Promise<Buffer> {
  const reply = once(socket, 'message');
  socket.send(payload, port, '127.0.0.1');
  const [message] = (await reply) as [Buffer];
  return message;
}

describe('udp:// listener', () => {
  it('answers each datagram with one datagram to its sender', async () => {
    const s = await startServer('upper@udp://127.0.0.1:0');
    const port = s.listeners[0]!.port;
    const a = udpPeer();
    const b = udpPeer();
    expect((await exchange(a, port, Buffer.from('from a'))).toString()).toBe('FROM A');
    expect((await exchange(b, port, Buffer.from('straße'))).toString()).toBe('STRASSE');
  });

  it('answers an empty datagram with an empty datagram (nothing hangs)', async () => {
    const s = await startServer('echo@udp://127.0.0.1:0');
    expect(await exchange(udpPeer(), s.listeners[0]!.port, Buffer.alloc(0))).toHaveLength(0);
  });

  it('round-trips the largest datagram, 65,507 bytes, untruncated', async () => {
    const s = await startServer('upper@udp://127.0.0.1:0');
    const socket = udpPeer();
    const payload = Buffer.alloc(MAX_UDP_PAYLOAD, 'a');
    const reply = await exchange(socket, s.listeners[0]!.port, payload);
    expect(reply).toHaveLength(MAX_UDP_PAYLOAD);
    expect(reply.equals(Buffer.alloc(MAX_UDP_PAYLOAD, 'A'))).toBe(true);
  });

  it('says so, instead of truncating, when the reply would not fit in a datagram', async () => {
    // 'ŉ' is 2 bytes and upper-cases to 'ʼN', 3 bytes: 60,000 bytes in, 90,000 out.
    const s = await startServer('upper@udp://127.0.0.1:0');
    const socket = udpPeer();
    const payload = Buffer.from('ŉ'.repeat(30_000));
    const reply = await exchange(socket, s.listeners[0]!.port, payload);
    expect(reply.toString()).toBe(
      `error: reply of 90000 bytes exceeds the UDP maximum of ${MAX_UDP_PAYLOAD}`,
    );
  });

  it('refuses a connection-only service over udp with a usage error', async () => {
    const { serve } = await import('../../src/server/serve.js');
    await expect(
      serve({
        url: 'udp://127.0.0.1:0',
        service: { name: 'sticky', datagrams: false, onMessage: () => undefined },
      }),
    ).rejects.toThrow('sticky needs connections and cannot run over udp; use tcp:// or unix:// for it');
  });
});
