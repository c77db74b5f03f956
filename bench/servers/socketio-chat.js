// Socket.IO 4's chat room, the way its docs write one: a 'join' event puts the socket in a room, a
// 'line' event goes to everyone else in that room with `socket.to(room).emit` (the sender excluded,
// as switchboard's hub does). WebSocket only, permessage-deflate off, as switchboard's listeners.
// The peer of issue 9's WebSocket fan-out; `socket.io` is a devDependency for this alone.
//
//   node bench/servers/socketio-chat.js [PORT]    prints ws://127.0.0.1:PORT/socket.io/
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false });
io.on('connection', (socket) => {
  socket.on('join', (room) => socket.join(String(room)));
  socket.on('line', (room, text) => socket.to(String(room)).emit('line', text));
});
httpServer.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  console.log(`listening on ws://127.0.0.1:${httpServer.address().port}/socket.io/`),
);
const stop = () => io.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
