import { connect as tlsConnect, createServer, type TLSSocket } from 'node:tls';
import { ConnectTimeoutError, TlsHandshakeError } from '../errors.js';
import type { Connection } from './connection.js';
import { formatHostPort, type Endpoint } from './endpoint.js';
import { SocketConnection } from './socket-connection.js';
import { listenIp } from './tcp.js';
import { TLS_CONNECT_PARAMS, clientTlsOptions, serverTlsOptions, tlsConnectError } from './tls-options.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  type ConnectionTransport,
  type TransportConnectOptions,
} from './transport.js';

/** What a failed server-side handshake was, for the log line: the client's mistake, not ours. */
function describeClientError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake not finished in time; closed';
  if (/wrong version number|http request|unknown protocol/i.test(err.message)) {
    return 'not TLS (plain bytes or HTTP on a TLS port); closed';
  }
  return `${err.message}; closed`;
}

/**
 * tls.connect() hands allowHalfOpen to its TLSSocket (Node's _tls_wrap), though @types/node does not
 * list it: `connect` with piped input half-closes and still reads every reply (DESIGN §5, §7).
 */
const HALF_OPEN: { allowHalfOpen: boolean } = { allowHalfOpen: true };

/** `tls://HOST:PORT`: TCP + TLS 1.2 or later (DESIGN §2), bytes with a framing as over TCP. */
export const tlsTransport: ConnectionTransport = {
  name: 'tls',
  kind: 'stream',
  connectParams: TLS_CONNECT_PARAMS,

  prepare(endpoint, params, defaults) {
    const tlsOptions = serverTlsOptions(endpoint, params, defaults);
    return {
      async listen(hooks) {
        // allowHalfOpen as for TCP (DESIGN §7: a half-closed client still gets every reply).
        const server = createServer({ ...tlsOptions, allowHalfOpen: true, noDelay: true });
        // DESIGN §7: a failed or slow handshake (plain bytes, an HTTP request) costs only that
        // connection. Node reports a handshake timeout but leaves the socket open: close it.
        server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
          const peer = formatHostPort(socket.remoteAddress, socket.remotePort);
          socket.destroy();
          hooks.onRejected?.(peer, new TlsHandshakeError(peer, describeClientError(err), err));
        });
        return listenIp(server, 'secureConnection', 'tls', endpoint, hooks);
      },
    };
  },

  connect(endpoint: Endpoint, options: TransportConnectOptions): Promise<Connection> {
    const peer = formatHostPort(endpoint.host, endpoint.port);
    const limit = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const tlsOptions = clientTlsOptions(endpoint, options);
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ ...tlsOptions, ...HALF_OPEN, host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectTimeoutError(peer, limit));
      }, limit);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(tlsConnectError(peer, endpoint.host, err));
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.setNoDelay(true);
        resolve(new SocketConnection(socket, 'tls', peer));
      });
    });
  },
};
