import type { Socket } from 'node:net';
import { createCodec } from '../framing/registry.js';
import { transportFor } from '../transports/registry.js';
import { openSocket } from '../transports/socket-connect.js';
import { SocketConnection } from '../transports/socket-connection.js';
import { MessageSocket } from './message-socket.js';
import type { ServerAddress } from './server-process.js';
import type { BenchTarget, ResolvedBenchOptions } from './options.js';

/** Where the bench connects, as errors name it. */
export function targetName(t: BenchTarget): string {
  return t.path !== undefined ? t.path : `${t.host}:${t.port}`;
}

/** Where the `index`th connection (or member) goes: round-robin over the nodes, the first first. */
export function targetOf(o: ResolvedBenchOptions, index: number): BenchTarget {
  return o.targets[index % o.targets.length]!;
}

/** Open one connection to a target (the first by default), with Nagle off: the bench measures latency too. */
export async function openBenchSocket(o: ResolvedBenchOptions, t: BenchTarget = o): Promise<Socket> {
  const transport = transportFor(t.endpoint.transport);
  if (t.endpoint.transport === 'tls' || transport.kind === 'message') {
    if (transport.kind === 'datagram') throw new Error('unreachable: options refuse datagram transports');
    const connection = await transport.connect(t.endpoint, { timeoutMs: o.connectTimeoutMs });
    if (connection instanceof SocketConnection) return connection.socket;
    // The bench's connections use only what Socket has of Duplex (on, write, destroy, destroyed).
    return new MessageSocket(connection, createCodec(o.framing)) as unknown as Socket;
  }
  const socket = await openSocket(
    t.path !== undefined ? { path: t.path } : { host: t.host, port: t.port },
    targetName(t),
    o.connectTimeoutMs,
  );
  if (t.path === undefined) socket.setNoDelay(true);
  return socket;
}

/** Every node's address, for finding the server processes. */
export function targetAddresses(o: ResolvedBenchOptions): ServerAddress[] {
  return o.targets.map((t) => (t.path !== undefined ? { path: t.path } : { host: t.host, port: t.port }));
}

/**
 * Open `count` connections, at most `parallel` connects at a time: a thousand SYNs at once would
 * overflow a default listen backlog and measure the kernel's retry timer instead of the server.
 * The `i`th goes to `targetOf(o, i)`: round-robin over the nodes.
 */
export async function openMany<T extends { destroy(): void } = Socket>(
  o: ResolvedBenchOptions,
  count: number,
  parallel = 64,
  open: (o: ResolvedBenchOptions, t: BenchTarget) => Promise<T> = openBenchSocket as unknown as (
    o: ResolvedBenchOptions,
    t: BenchTarget,
  ) => Promise<T>,
): Promise<T[]> {
  const sockets: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      sockets[i] = await open(o, targetOf(o, i));
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
