// The tutorial upper server in Node: one reply per message, a Buffer.concat of the backlog on every
// chunk, one write per reply. `raw` mode upper-cases each chunk as it comes.
// Usage: node naive-upper.js [len32be|raw]
import { createServer } from 'node:net';

const framing = process.argv[2] ?? 'len32be';

function upper(buf) {
  return Buffer.from(buf.toString('latin1').toUpperCase(), 'latin1');
}

const server = createServer((socket) => {
  socket.on('error', () => {});
  if (framing === 'raw') {
    socket.on('data', (chunk) => socket.write(upper(chunk)));
    return;
  }
  let backlog = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    backlog = Buffer.concat([backlog, chunk]);
    while (backlog.length >= 4) {
      const length = backlog.readUInt32BE(0);
      if (backlog.length < 4 + length) break;
      const body = backlog.subarray(4, 4 + length);
      const reply = upper(body);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(reply.length, 0);
      socket.write(Buffer.concat([header, reply]));
      backlog = backlog.subarray(4 + length);
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on tcp://127.0.0.1:${server.address().port}`));
