import { chmodSync } from 'node:fs';
import { lstat, stat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import { ErrorCode, PathNotFoundError, SocketInUseError, SwitchboardError, listenError } from '../errors.js';
import { boundAddress, type Endpoint } from './endpoint.js';
import { descriptors, releaseDescriptor } from './descriptors.js';
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
 * Bind and listen. With a mode to apply, the socket is created owner-only (umask 0177 for the
 * synchronous bind inside listen()), so nobody else can connect before chmod gives the mode.
 */
function bindOnce(server: Server, path: string, mode: number | undefined): Promise<void> {
  if (mode === undefined) return listenServer(server, { path });
  let previous: number | undefined;
  try {
    previous = process.umask(0o177);
  } catch {
    // Worker threads cannot change the umask; chmod below still applies the mode.
  }
  try {
    return listenServer(server, { path });
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

/** The OS says "permission denied" for a missing directory: say what is really wrong. */
async function bindError(path: string, err: unknown): Promise<Error> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR') {
    const directory = dirname(resolve(path));
    const found = await stat(directory).catch(() => undefined);
    if (found === undefined || !found.isDirectory()) return new PathNotFoundError(path, directory, err);
  }
  return listenError(path, err);
}

/**
 * DESIGN §7: remove the socket file at `path` if a dead server left it; a live server's socket and
 * a file that is not a socket are left alone, with an error that says so. `listen` does this when
 * its bind finds the path taken; under `--workers` the primary does it once before the workers start
 * (node:cluster binds the path in the primary, for all of them).
 *
 * @throws SocketInUseError | SwitchboardError (ADDRESS_IN_USE: not a socket)
 */
export async function removeStaleSocket(path: string): Promise<void> {
  const found = await lstat(path).catch(() => undefined);
  if (found === undefined) return;
  if (!found.isSocket()) {
    throw new SwitchboardError(
      ErrorCode.ADDRESS_IN_USE,
      `${path} exists and is not a socket; remove it or choose another path`,
      { peer: path },
    );
  }
  if (await probeLive(path)) throw new SocketInUseError(path);
  await unlink(path).catch(() => undefined);
}

/**
 * DESIGN §7: a socket file left by a dead server is removed; one a live server still answers on is
 * never stolen; a path that is not a socket at all is never deleted.
 */
async function listenOnPath(server: Server, path: string, mode: number | undefined): Promise<void> {
  try {
    await bindOnce(server, path, mode);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw await bindError(path, err);
  }
  await removeStaleSocket(path);
  try {
    await bindOnce(server, path, mode);
  } catch (err) {
    throw await bindError(path, err);
  }
}

/**
 * `?mode=`: chmodSync, in the same run of microtasks as the 'listening' event, so before the event
 * loop polls and the first connection is accepted.
 */
function applyMode(server: Server, path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    server.close();
    throw new SwitchboardError(
      ErrorCode.PERMISSION_DENIED,
      `cannot set mode ${mode.toString(8).padStart(4, '0')} on ${path}: ${(err as Error).message}`,
      { cause: err, peer: path },
    );
  }
}

async function listenUnix(endpoint: Endpoint, hooks: ListenHooks): Promise<Listening> {
  let refused = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (!descriptors.admit(endpoint.path)) {
      refused++;
      socket.destroy();
      return;
    }
    socket.on('close', releaseDescriptor);
    // Unix clients have no address of their own: name them by path and a number.
    hooks.onConnection(new SocketConnection(socket, 'unix', `unix:${endpoint.path}#${nextPeer++}`));
  });
  await listenOnPath(server, endpoint.path, endpoint.socketMode);
  if (endpoint.socketMode !== undefined) applyMode(server, endpoint.path, endpoint.socketMode);
  // Node removes the socket file when the listening handle closes.
  return {
    address: boundAddress(endpoint, 0),
    close: closeServer(server),
    get refusedForDescriptors() {
      return refused;
    },
  };
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
