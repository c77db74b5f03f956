import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** A line-oriented test peer, as a person on `nc` would be: `await c.expect(/^\* welcome/)`. */
export interface LineClient {
  readonly socket: Socket;
  /** Every line received so far. */
  readonly lines: string[];
  send(line: string): void;
  /** The first unread line matching `pattern`; lines before it are skipped. */
  expect(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

export async function lineClient(target: number | string): Promise<LineClient> {
  const socket = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
  socket.on('error', () => undefined);
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  const lines: string[] = [];
  let cursor = 0;
  let partial = '';
  let wake: (() => void) | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => wake?.());
  return {
    socket,
    lines,
    closed,
    send: (line) => socket.write(`${line}\n`),
    close: () => socket.destroy(),
    async expect(pattern, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < lines.length) {
          const line = lines[cursor++]!;
          if (pattern.test(line)) return line;
        }
        if (socket.destroyed || Date.now() > deadline) {
          throw new Error(
            `no line matching ${pattern} (${socket.destroyed ? 'closed' : 'timed out'}); got ${JSON.stringify(lines)}`,
          );
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

/** A chat member on `target` that has read its greeting and, if `nick` is given, taken it. */
export async function chatMember(target: number | string, nick?: string): Promise<LineClient> {
  const c = await lineClient(target);
  await c.expect(/^\* welcome/);
  if (nick !== undefined) {
    c.send(`/nick ${nick}`);
    await c.expect(new RegExp(`^\\* you are now ${nick}$`));
  }
  return c;
}
