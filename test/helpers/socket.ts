import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { expect, onTestFinished } from 'vitest';
import { serve, type ListenerSpec, type Server, type ServeOptions } from '../../src/server/serve.js';

/** Start a server that is closed when the test ends. */
export async function startServer(
  spec: ListenerSpec | ListenerSpec[],
  options: ServeOptions = {},
): Promise<Server> {
  const server = await serve(spec, options);
  onTestFinished(() => server.close());
  return server;
}

/** A plain socket that records everything it receives and whether the server closed it. */
export interface Peer {
  socket: Socket;
  received(): Buffer;
  text(): string;
  /** Resolves when the server has ended or closed the connection. */
  ended: Promise<void>;
  /** Wait until the received bytes satisfy `test`, or fail after `timeoutMs`. */
  until(test: (received: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
}

export async function peer(target: number | string): Promise<Peer> {
  const socket = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    wake();
  });
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  void ended.then(wake);
  const received = (): Buffer => Buffer.concat(chunks);
  return {
    socket,
    received,
    text: () => received().toString(),
    ended,
    async until(test, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(received())) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms; received ${JSON.stringify(received().toString())}`,
          );
        }
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((r) => setTimeout(r, 50)),
        ]);
      }
      return received();
    },
  };
}

export function frame(payload: string | Buffer, order: 'be' | 'le' = 'be'): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(4);
  if (order === 'be') header.writeUInt32BE(body.length);
  else header.writeUInt32LE(body.length);
  return Buffer.concat([header, body]);
}

/**
 * A peer that reads its first message (a chat greeting) and then never reads again: a real
 * frozen reader, whose kernel buffers fill and push back on the server (STYLE "Tests").
 */
export async function frozenPeer(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'data');
  socket.pause();
  return socket;
}

/** A socket file left behind by a server that died without cleaning up (SIGKILL). */
export async function staleSocket(path: string): Promise<void> {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  expect(existsSync(path)).toBe(true);
}
