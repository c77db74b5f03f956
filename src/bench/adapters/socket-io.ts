import type { WsLink } from '../ws-link.js';
import type { FanoutAdapter } from './adapter.js';

/**
 * Socket.IO 4 (Engine.IO protocol 4, Socket.IO protocol 5) spoken over a raw WebSocket, as the
 * nats adapter speaks NATS over a raw socket. The hub is `bench/servers/socketio-chat.js`: a
 * `join` event puts the socket in a room, a `line` event goes to the rest of the room
 * (`socket.to(room).emit('line', text)`).
 *
 * On the wire every WebSocket text message is one Engine.IO packet, its type a digit: `0` open
 * (with the session's JSON), `2` ping (answered by `3` pong), `4` message, carrying a Socket.IO
 * packet whose type is the next digit: `0` connect to the namespace `/`, `2` event (a JSON array,
 * the event name first), `1` disconnect, `4` connect error. So `40` connects, `42["line","text"]`
 * is an event, and a delivery is the line `42["line","BODY"]`.
 */
export const socketIoAdapter: FanoutAdapter = {
  name: 'socketio',
  trailer: 2, // the `"]` after BODY
  websocket: {
    path: (p) => `${p === '/' ? '/socket.io/' : p}?EIO=4&transport=websocket`,
    framing: 'lines',
    binary: false,
    handshake,
  },
  // The sender joins too, as in the switchboard run; `socket.to(room)` leaves it out.
  setup: (link, _role, room) => {
    link.write(`42${JSON.stringify(['join', room])}\n`);
  },
  encode: (body, room) => Buffer.concat([linePrefix(room), body, SUFFIX]),
  onControlLine: (buf, start, end, link) => {
    const type = buf[start];
    if (type === PING && end - start === 1) link.write('3\n');
    else if (
      type === CLOSE ||
      (type === MESSAGE && (buf[start + 1] === DISCONNECT || buf[start + 1] === ERROR))
    ) {
      return `Socket.IO said ${buf.toString('utf8', start, Math.min(end, start + 200))}`;
    }
    return undefined;
  },
};

const PING = 0x32; // '2'
const CLOSE = 0x31; // '1'
const MESSAGE = 0x34; // '4'
const DISCONNECT = 0x31; // '1'
const ERROR = 0x34; // '4'
const SUFFIX = Buffer.from('"]\n');

/** `42["line","ROOM","`: the bench's bodies are lower-case letters, digits and `#`, no JSON escapes. */
let prefix: { room: string; bytes: Buffer } | undefined;
function linePrefix(room: string): Buffer {
  if (prefix?.room !== room) prefix = { room, bytes: Buffer.from(`42["line",${JSON.stringify(room)},"`) };
  return prefix.bytes;
}

/** Engine.IO open, then connect to the namespace `/` (events before its answer close the link). */
async function handshake(link: WsLink): Promise<void> {
  const open = (await link.nextMessage()).toString('utf8');
  if (!open.startsWith('0{')) {
    throw new Error(`expected Engine.IO's open packet 0{…} first, got ${JSON.stringify(open.slice(0, 80))}`);
  }
  link.write('40\n');
  for (;;) {
    const reply = (await link.nextMessage()).toString('utf8');
    if (reply === '2') {
      link.write('3\n');
      continue;
    }
    if (reply.startsWith('40')) return;
    throw new Error(
      `Socket.IO refused the connection to namespace /: ${JSON.stringify(reply.slice(0, 120))}`,
    );
  }
}
