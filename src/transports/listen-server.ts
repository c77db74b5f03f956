import type { ListenOptions, Server } from 'node:net';

/** server.listen() as a promise that rejects with the OS error instead of emitting it. */
export function listenServer(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.removeListener('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options);
  });
}

/**
 * An idempotent close for a listening server. It resolves once the server stops accepting, not
 * when every connection has gone: open connections are closed by whoever owns them.
 */
export function closeServer(server: Server): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close();
      setImmediate(resolve);
    }));
}
