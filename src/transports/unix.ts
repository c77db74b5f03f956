import { lstat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { SocketInUseError, SwitchboardError, ErrorCode, listenError } from '../errors.js';
import { boundAddress, type Endpoint } from './endpoint.js';
import { closeServer, listenServer } from './listen-server.js';
import { openSocket } from './socket-connect.js';
import { SocketConnection } from './socket-connection.js';
import type { Connection } from './connection.js';
import type { ConnectionTransport, ListenHooks, Listening, TransportConnectOptions } from './transport.js';

/** How long to wait for a live server to answer when deciding whether a socket file is stale. */
const PROBE_TIMEOUT_MS = 500;

let nextPeer = 1;

async function probeLive(path: string): Promise<boolean> {
  try {
    const socket = await openSocket({ path }, path, PROBE_TIMEOUT_MS);
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * DESIGN §7: a socket file left by a dead server is removed; one a live server still answers on is
 * never stolen; a path that is not a socket at all is never deleted.
 */
async function listenOnPath(server: Server, path: string): Promise<void> {
  try {
    await listenServer(server, { path });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenError(path, err);
  }
  const stat = await lstat(path).catch(() => undefined);
  if (stat !== undefined && !stat.isSocket()) {
    throw new SwitchboardError(
      ErrorCode.ADDRESS_IN_USE,
      `${path} exists and is not a socket; remove it or choose another path`,
      { peer: path },
    );
  }
  if (await probeLive(path)) throw new SocketInUseError(path);
  await unlink(path).catch(() => undefined);
  try {
    await listenServer(server, { path });
  } catch (err) {
    throw listenError(path, err);
  }
}

async function listenUnix(endpoint: Endpoint, hooks: ListenHooks): Promise<Listening> {
  const server = createServer({ allowHalfOpen: true }, (socket) =>
    // Unix clients have no address of their own: name them by path and a number.
    hooks.onConnection(new SocketConnection(socket, 'unix', `unix:${endpoint.path}#${nextPeer++}`)),
  );
  await listenOnPath(server, endpoint.path);
  // Node removes the socket file when the listening handle closes.
  return { address: boundAddress(endpoint, 0), close: closeServer(server) };
}

export const unixTransport: ConnectionTransport = {
  name: 'unix',
  kind: 'stream',
  connectParams: [],
  prepare: (endpoint) => ({ listen: (hooks) => listenUnix(endpoint, hooks) }),
  async connect(endpoint: Endpoint, options: TransportConnectOptions): Promise<Connection> {
    const socket = await openSocket({ path: endpoint.path }, endpoint.path, options.timeoutMs);
    return new SocketConnection(socket, 'unix', endpoint.path);
  },
};
