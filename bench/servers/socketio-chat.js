// Socket.IO 4's chat room, the way its docs write one: a 'join' event puts the socket in a room, a
// 'line' event goes to everyone else in that room with `socket.to(room).emit` (the sender excluded,
// as switchboard's hub does). WebSocket only, permessage-deflate off, as switchboard's listeners.
// The peer of issue 9's WebSocket fan-out; `socket.io` is a devDependency for this alone.
//
// With `--redis URL` (issue 10) the server shares its rooms with every other one on that Redis
// through `@socket.io/redis-adapter` (its README's ioredis setup: a client and its duplicate for
// the subscriptions): `socket.to(room).emit` delivers to this node's members at once and publishes
// the packet for the others, which deliver it to theirs.
//
//   node bench/servers/socketio-chat.js [PORT] [--redis redis://HOST:PORT]
//                                                    prints ws://127.0.0.1:PORT/socket.io/
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { redis: { type: 'string' } },
});

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false });
const clients = [];
if (values.redis !== undefined) {
  const [{ Redis }, { createAdapter }] = await Promise.all([
    import('ioredis'),
    import('@socket.io/redis-adapter'),
  ]);
  const pubClient = new Redis(values.redis);
  const subClient = pubClient.duplicate();
  clients.push(pubClient, subClient);
  io.adapter(createAdapter(pubClient, subClient));
  // Listen once both connections are up (the adapter's PSUBSCRIBE follows within a round trip;
  // the bench's probes wait until every member on every node hears the sender anyway).
  await Promise.all(
    clients.map((c) =>
      c.status === 'ready' ? undefined : new Promise((resolve) => c.once('ready', resolve)),
    ),
  );
}
io.on('connection', (socket) => {
  socket.on('join', (room) => socket.join(String(room)));
  socket.on('line', (room, text) => socket.to(String(room)).emit('line', text));
});
httpServer.listen(Number(positionals[0] ?? 0), '127.0.0.1', () =>
  console.log(`listening on ws://127.0.0.1:${httpServer.address().port}/socket.io/`),
);
const stop = () =>
  io.close(() => {
    for (const c of clients) c.disconnect();
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
