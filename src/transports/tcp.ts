import { createServer, type Socket } from 'node:net';
import { listenError } from '../errors.js';
import { formatEndpoint, formatHostPort, type Endpoint } from './endpoint.js';
import { openSocket } from './socket-connect.js';
import { closeServer, listenServer } from './listen-server.js';
import type { ConnectOptions, StreamListener, StreamTransport } from './stream-transport.js';

export const tcpTransport: StreamTransport = {
  async listen(
    endpoint: Endpoint,
    onConnection: (socket: Socket, peer: string) => void,
  ): Promise<StreamListener> {
    // allowHalfOpen: a client that sends and half-closes (`nc -N`) still gets its replies (DESIGN §7).
    // Node sets SO_REUSEADDR on TCP listeners, so a restart on the same port works at once.
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      onConnection(socket, formatHostPort(socket.remoteAddress, socket.remotePort)),
    );
    const requested = formatEndpoint(endpoint);
    try {
      await listenServer(server, { host: endpoint.host, port: endpoint.port });
    } catch (err) {
      throw listenError(requested.replace(/^tcp:\/\//, ''), err);
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : endpoint.port;
    return { url: formatEndpoint({ ...endpoint, port }), close: closeServer(server) };
  },

  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Socket> {
    return openSocket(
      { host: endpoint.host, port: endpoint.port, noDelay: true },
      formatHostPort(endpoint.host, endpoint.port),
      options?.timeoutMs,
    );
  },
};
