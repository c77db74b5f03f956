// The `ws` package's bare echo over https (wss://): the bar for switchboard's `upper` over wss://
// (issue 8: ≤ 1.3× its CPU per message). Certificate and key from SB_BENCH_CERT and SB_BENCH_KEY.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { WebSocketServer } from 'ws';

const server = createServer({
  cert: readFileSync(process.env.SB_BENCH_CERT),
  key: readFileSync(process.env.SB_BENCH_KEY),
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
});
server.listen(0, '127.0.0.1', () => console.log(`listening on wss://127.0.0.1:${server.address().port}/`));
