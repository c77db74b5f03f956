// The tutorial chat hub in Node: a Set of sockets, split lines, write each line to everyone else.
import { createServer } from 'node:net';

const clients = new Set();
const server = createServer((socket) => {
  clients.add(socket);
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    pending += text;
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl + 1);
      pending = pending.slice(nl + 1);
      for (const other of clients) if (other !== socket) other.write(line);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => clients.delete(socket));
});
server.listen(0, '127.0.0.1', () => console.log(`listening on tcp://127.0.0.1:${server.address().port}`));
