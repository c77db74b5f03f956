import cluster from 'node:cluster';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { listenError } from '../errors.js';
import { boundAddress, formatHostPort, type Endpoint } from './endpoint.js';
import type { BoundAddress, TransportName } from './transport.js';

/** A bound UDP socket: one datagram in, whatever the caller sends back. */
export interface DatagramListener {
  readonly address: BoundAddress;
  readonly socket: Socket;
  close(): Promise<void>;
}

/** udp: one datagram = one message, no connection (DESIGN §2, §4). */
export interface DatagramTransport {
  readonly name: TransportName;
  readonly kind: 'datagram';
  readonly connectParams: readonly string[];
  bind(
    endpoint: Endpoint,
    onDatagram: (message: Buffer, from: RemoteInfo, peer: string) => void,
  ): Promise<DatagramListener>;
}

export function udpSocketType(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

/**
 * Bind a UDP endpoint. No SO_REUSEADDR here: for UDP it would let a second server share the port
 * and split the traffic, where a user expects "already in use".
 *
 * In a node:cluster worker (`--workers N`) the socket is the primary's, shared (not `exclusive`):
 * every worker reads from the one socket and the kernel hands each datagram to one of them, which
 * replies from the same socket. A datagram service keeps no state between datagrams, so it does not
 * matter which worker answers (docs/scaling.md).
 */
export async function bindUdp(
  endpoint: Endpoint,
  onDatagram: (message: Buffer, from: RemoteInfo, peer: string) => void,
): Promise<DatagramListener> {
  const socket = createSocket({ type: udpSocketType(endpoint.host) });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => reject(listenError(formatHostPort(endpoint.host, endpoint.port), err)));
    socket.bind({ address: endpoint.host, port: endpoint.port, exclusive: !cluster.isWorker }, () =>
      resolve(),
    );
  });
  socket.removeAllListeners('error');
  socket.on('message', (message, from) => onDatagram(message, from, formatHostPort(from.address, from.port)));
  let closing: Promise<void> | undefined;
  return {
    address: boundAddress(endpoint, socket.address().port),
    socket,
    close: () => (closing ??= new Promise((resolve) => socket.close(() => resolve()))),
  };
}

export const udpTransport: DatagramTransport = {
  name: 'udp',
  kind: 'datagram',
  connectParams: [],
  bind: bindUdp,
};
