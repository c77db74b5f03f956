// The `ws` package's bare echo: ws.on('message', m => ws.send(m)), permessage-deflate off as
// switchboard's listeners have it. The bar for switchboard's WebSocket `upper` (issue 8: ≤ 1.2×
// its CPU per message).
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () =>
  console.log(`listening on ws://127.0.0.1:${wss.address().port}/`),
);
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
});
