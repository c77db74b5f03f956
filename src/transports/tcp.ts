import { createServer, type Socket } from 'node:net';
import { listenError } from '../errors.js';
import { formatEndpoint, formatHostPort, type Endpoint } from './endpoint.js';
import { descriptors, releaseDescriptor } from './descriptors.js';
import { openSocket } from './socket-connect.js';
import { closeServer, listenServer } from './listen-server.js';
import type { ConnectOptions, StreamListener, StreamTransport } from './stream-transport.js';

let resetBeforeAccept = 0;

/**
 * The peer's `host:port`, read once at accept (the session keeps the string). A client that reset
 * before we accepted it has no address left to ask for (getpeername: ENOTCONN): it is named as
 * such, with a number, rather than `?:?`.
 */
function peerOf(socket: Socket): string {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress !== undefined && remotePort !== undefined)
    return formatHostPort(remoteAddress, remotePort);
  return `peer#${++resetBeforeAccept} (reset before accept, to ${formatHostPort(socket.localAddress, socket.localPort)})`;
}

export const tcpTransport: StreamTransport = {
  async listen(
    endpoint: Endpoint,
    onConnection: (socket: Socket, peer: string) => void,
  ): Promise<StreamListener> {
    // allowHalfOpen: a client that sends and half-closes (`nc -N`) still gets its replies (DESIGN §7).
    // Node sets SO_REUSEADDR on TCP listeners, so a restart on the same port works at once.
    const requested = formatEndpoint(endpoint);
    let label = requested;
    let refused = 0;
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      // Issue 13, item 5: near the descriptor limit, refuse (counted, logged once) rather than let
      // the OS reset clients silently.
      if (!descriptors.admit(label)) {
        refused++;
        socket.destroy();
        return;
      }
      socket.on('close', releaseDescriptor);
      onConnection(socket, peerOf(socket));
    });
    try {
      await listenServer(server, { host: endpoint.host, port: endpoint.port });
    } catch (err) {
      throw listenError(requested.replace(/^tcp:\/\//, ''), err);
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : endpoint.port;
    label = formatEndpoint({ ...endpoint, port });
    return {
      url: label,
      close: closeServer(server),
      get refusedForDescriptors() {
        return refused;
      },
    };
  },

  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Socket> {
    return openSocket(
      { host: endpoint.host, port: endpoint.port, noDelay: true },
      formatHostPort(endpoint.host, endpoint.port),
      options?.timeoutMs,
    );
  },
};
