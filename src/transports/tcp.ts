import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { listenError } from '../errors.js';
import { boundAddress, formatHostPort, type Endpoint } from './endpoint.js';
import { descriptors, releaseDescriptor } from './descriptors.js';
import { openSocket } from './socket-connect.js';
import { closeServer, listenServer } from './listen-server.js';
import { SocketConnection } from './socket-connection.js';
import type { Connection } from './connection.js';
import type { ConnectionTransport, ListenHooks, Listening, TransportConnectOptions } from './transport.js';

let resetBeforeAccept = 0;

/**
 * The peer's `host:port`, read once at accept (the session keeps the string). A client that reset
 * before we accepted it has no address left to ask for (getpeername: ENOTCONN): it is named as
 * such, with a number, rather than `?:?`.
 */
export function peerOf(socket: Socket): string {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress !== undefined && remotePort !== undefined)
    return formatHostPort(remoteAddress, remotePort);
  return `peer#${++resetBeforeAccept} (reset before accept, to ${formatHostPort(socket.localAddress, socket.localPort)})`;
}

async function listenTcp(endpoint: Endpoint, hooks: ListenHooks): Promise<Listening> {
  // allowHalfOpen: a client that sends and half-closes (`nc -N`) still gets its replies (DESIGN §7).
  // Node sets SO_REUSEADDR on TCP listeners, so a restart on the same port works at once.
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  return listenIp(server, 'connection', 'tcp', endpoint, hooks);
}

/**
 * Accept on `server` (its `event` brings each ready socket: 'connection' for tcp,
 * 'secureConnection' for tls), admitting descriptors, then listen on `endpoint` and describe the
 * bound listener. Shared by tcp and tls.
 */
export async function listenIp(
  server: NetServer,
  event: 'connection' | 'secureConnection',
  transport: 'tcp' | 'tls',
  endpoint: Endpoint,
  hooks: ListenHooks,
): Promise<Listening> {
  let label = `${transport}://${formatHostPort(endpoint.host, endpoint.port)}`;
  let refused = 0;
  server.on(event, (socket: Socket) => {
    // Issue 13, item 5: near the descriptor limit, refuse (counted, logged once) rather than let
    // the OS reset clients silently.
    if (!admit(socket, label)) {
      refused++;
      return;
    }
    hooks.onConnection(new SocketConnection(socket, transport, peerOf(socket)));
  });
  try {
    await listenServer(server, { host: endpoint.host, port: endpoint.port });
  } catch (err) {
    throw listenError(formatHostPort(endpoint.host, endpoint.port), err);
  }
  const address = boundAddress(endpoint, listeningPort(server, endpoint));
  label = address.url;
  return {
    address,
    close: closeServer(server),
    get refusedForDescriptors() {
      return refused;
    },
  };
}

/**
 * Take a descriptor for an accepted socket, released when it closes; false (and the socket
 * destroyed) when the process is at its limit. Shared by tcp and tls.
 */
export function admit(socket: Socket, label: string): boolean {
  if (!descriptors.admit(label)) {
    socket.destroy();
    return false;
  }
  socket.on('close', releaseDescriptor);
  return true;
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
