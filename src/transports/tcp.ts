import { createServer } from 'node:net';
import { listenError } from '../errors.js';
import { boundAddress, formatHostPort, type Endpoint } from './endpoint.js';
import { openSocket } from './socket-connect.js';
import { SocketConnection } from './socket-connection.js';
import { closeServer, listenServer } from './listen-server.js';
import type { Connection } from './connection.js';
import type { ConnectionTransport, ListenHooks, Listening, TransportConnectOptions } from './transport.js';

async function listenTcp(endpoint: Endpoint, hooks: ListenHooks): Promise<Listening> {
  // allowHalfOpen: a client that sends and half-closes (`nc -N`) still gets its replies (DESIGN §7).
  // Node sets SO_REUSEADDR on TCP listeners, so a restart on the same port works at once.
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
    hooks.onConnection(
      new SocketConnection(socket, 'tcp', formatHostPort(socket.remoteAddress, socket.remotePort)),
    ),
  );
  try {
    await listenServer(server, { host: endpoint.host, port: endpoint.port });
  } catch (err) {
    throw listenError(formatHostPort(endpoint.host, endpoint.port), err);
  }
  return { address: boundAddress(endpoint, listeningPort(server, endpoint)), close: closeServer(server) };
}

/** The port the OS chose for port 0. */
export function listeningPort(server: { address(): unknown }, endpoint: Endpoint): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? (address as { port: number }).port : endpoint.port;
}

export const tcpTransport: ConnectionTransport = {
  name: 'tcp',
  kind: 'stream',
  connectParams: [],
  prepare: (endpoint) => ({ listen: (hooks) => listenTcp(endpoint, hooks) }),
  async connect(endpoint: Endpoint, options: TransportConnectOptions): Promise<Connection> {
    const peer = formatHostPort(endpoint.host, endpoint.port);
    const socket = await openSocket(
      { host: endpoint.host, port: endpoint.port, noDelay: true },
      peer,
      options.timeoutMs,
    );
    return new SocketConnection(socket, 'tcp', peer);
  },
};
