import type { Socket } from 'node:net';
import { createCodec } from '../framing/registry.js';
import { transportFor } from '../transports/registry.js';
import { openSocket } from '../transports/socket-connect.js';
import { SocketConnection } from '../transports/socket-connection.js';
import { MessageSocket } from './message-socket.js';
import type { ResolvedBenchOptions } from './options.js';

/** Where the bench connects, as errors name it. */
export function targetName(o: ResolvedBenchOptions): string {
  return o.path !== undefined ? o.path : `${o.host}:${o.port}`;
}

/** Open one connection to the target, with Nagle off: the bench measures latency too. */
export async function openBenchSocket(o: ResolvedBenchOptions): Promise<Socket> {
  const transport = transportFor(o.endpoint.transport);
  if (o.endpoint.transport === 'tls' || transport.kind === 'message') {
    if (transport.kind === 'datagram') throw new Error('unreachable: options refuse datagram transports');
    const connection = await transport.connect(o.endpoint, { timeoutMs: o.connectTimeoutMs });
    if (connection instanceof SocketConnection) return connection.socket;
    // The bench's connections use only what Socket has of Duplex (on, write, destroy, destroyed).
    return new MessageSocket(connection, createCodec(o.framing)) as unknown as Socket;
  }
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
export async function openMany<T extends { destroy(): void } = Socket>(
  o: ResolvedBenchOptions,
  count: number,
  parallel = 64,
  open: (o: ResolvedBenchOptions) => Promise<T> = openBenchSocket as unknown as (
    o: ResolvedBenchOptions,
  ) => Promise<T>,
): Promise<T[]> {
  const sockets: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      sockets[i] = await open(o);
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
