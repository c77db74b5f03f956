// A bare TLS echo: socket.pipe(socket) behind tls.createServer. The bar for switchboard's `upper`
// over tls:// (issue 8: ≤ 1.3× its CPU per message). Certificate and key from SB_BENCH_CERT and
// SB_BENCH_KEY (bench/cpu-per-message.js makes a throwaway pair).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const server = createServer(
  {
    cert: readFileSync(process.env.SB_BENCH_CERT),
    key: readFileSync(process.env.SB_BENCH_KEY),
    noDelay: true,
  },
  (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  },
);
server.listen(0, '127.0.0.1', () => console.log(`listening on tls://127.0.0.1:${server.address().port}`));
