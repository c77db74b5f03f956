// The naive Node echo: socket.pipe(socket). No framing, no upper-casing: the floor of what any
// Node server can do per byte, and the bar switchboard's `upper` must meet (issue: targets).
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen(0, '127.0.0.1', () => console.log(`listening on tcp://127.0.0.1:${server.address().port}`));
