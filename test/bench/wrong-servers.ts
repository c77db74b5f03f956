import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';
import { LengthPrefixedDecoder } from '../../src/framing/length-prefixed.js';
import { lengthPrefixedCodec } from '../../src/framing/length-prefixed.js';
import { upperText } from '../../src/services/upper.js';

export type Misbehaviour = 'lower' | 'drop-every-10th' | 'close-after-50' | 'extra-reply' | 'silent';

/**
 * A deliberately wrong len32be upper server: it lower-cases, drops every 10th reply, closes after
 * 50 messages, answers one message twice, or never answers. The bench must catch each of them.
 */
export async function wrongServer(kind: Misbehaviour): Promise<number> {
  const codec = lengthPrefixedCodec('be');
  const server: Server = createServer((socket: Socket) => {
    const decoder = new LengthPrefixedDecoder('be', 1024 * 1024);
    let count = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        count++;
        if (kind === 'silent') continue;
        if (kind === 'close-after-50' && count > 50) {
          socket.destroy();
          return;
        }
        if (kind === 'drop-every-10th' && count % 10 === 0) continue;
        const reply =
          kind === 'lower' ? Buffer.from(m.toString('latin1').toLowerCase(), 'latin1') : upperText(m);
        socket.write(codec.encode(reply));
        if (kind === 'extra-reply' && count === 5) socket.write(codec.encode(reply));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
