import type { Socket } from 'node:net';
import { openSocket } from '../transports/socket-connect.js';
import type { ResolvedBenchOptions } from './options.js';

/** Where the bench connects, as errors name it. */
export function targetName(o: ResolvedBenchOptions): string {
  return o.path !== undefined ? o.path : `${o.host}:${o.port}`;
}

/** Open one connection to the target, with Nagle off: the bench measures latency too. */
export async function openBenchSocket(o: ResolvedBenchOptions): Promise<Socket> {
  const socket = await openSocket(
    o.path !== undefined ? { path: o.path } : { host: o.host, port: o.port },
    targetName(o),
    o.connectTimeoutMs,
  );
  if (o.path === undefined) socket.setNoDelay(true);
  return socket;
}

/**
 * Open `count` connections, at most `parallel` connects at a time: a thousand SYNs at once would
 * overflow a default listen backlog and measure the kernel's retry timer instead of the server.
 */
export async function openMany(o: ResolvedBenchOptions, count: number, parallel = 64): Promise<Socket[]> {
  const sockets: Socket[] = new Array<Socket>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      sockets[i] = await openBenchSocket(o);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } catch (err) {
    for (const s of sockets) s?.destroy();
    throw err;
  }
  return sockets;
}
