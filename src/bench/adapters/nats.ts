import type { FanoutAdapter } from './adapter.js';

/**
 * nats-server's text protocol over a raw socket: `CONNECT`, `SUB subject sid`, `PUB subject n`,
 * and `MSG subject sid n` + payload to subscribers; `PING` must be answered with `PONG`.
 * Verbose mode is off, as in nats bench, so the server sends no `+OK` per publish.
 */
export const natsAdapter: FanoutAdapter = {
  name: 'nats',
  setup: (socket, role, room) => {
    socket.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"switchboard-bench"}\r\n');
    if (role === 'member') socket.write(`SUB ${room} 1\r\n`);
  },
  encode: (body, room) =>
    Buffer.concat([Buffer.from(`PUB ${room} ${body.length}\r\n`), body, Buffer.from('\r\n')]),
  onControlLine: (line, socket) => {
    if (line.length >= 4 && line.toString('latin1', 0, 4) === 'PING') socket.write('PONG\r\n');
    else if (line.length >= 4 && line.toString('latin1', 0, 4) === '-ERR')
      return `nats-server said ${line.toString()}`;
    return undefined;
  },
};
