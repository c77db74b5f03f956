import type { FanoutAdapter } from './adapter.js';

/**
 * nats-server's text protocol over a raw socket: `CONNECT`, `SUB subject sid`, `PUB subject n`,
 * and `MSG subject sid n` + payload to subscribers; `PING` must be answered with `PONG`.
 * Verbose mode is off, as in nats bench, so the server sends no `+OK` per publish.
 * Over WebSocket (nats-server's `websocket { no_tls: true }` listener) the same bytes travel in
 * binary messages as a stream: a message may hold several protocol lines or part of one.
 */
export const natsAdapter: FanoutAdapter = {
  name: 'nats',
  websocket: { path: (p) => p, framing: 'stream', binary: true },
  setup: (socket, role, room) => {
    socket.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"switchboard-bench"}\r\n');
    if (role === 'member') socket.write(`SUB ${room} 1\r\n`);
  },
  encode: (body, room) =>
    Buffer.concat([Buffer.from(`PUB ${room} ${body.length}\r\n`), body, Buffer.from('\r\n')]),
  onControlLine: (buf, start, end, socket) => {
    // Called for every `MSG` header line too: look at bytes, never build a string on this path.
    const first = buf[start];
    if (first === P && buf[start + 1] === I) socket.write('PONG\r\n');
    else if (first === DASH) return `nats-server said ${buf.toString('utf8', start, end)}`;
    return undefined;
  },
};

const P = 0x50;
const I = 0x49;
const DASH = 0x2d;
