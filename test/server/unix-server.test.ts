import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { serve } from '../../src/server/serve.js';
import { peer, staleSocket, startServer } from '../helpers/socket.js';

function socketPath(): string {
  const path = join(tmpdir(), `sb-test-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  onTestFinished(() => rm(path, { force: true }));
  return path;
}

describe('unix:// listener', () => {
  it('serves over a Unix socket and removes the file on close', async () => {
    const path = socketPath();
    const s = await serve(`upper@unix://${path}`);
    expect(s.listeners[0]!.url).toBe(`unix://${path}`);
    const p = await peer(path);
    p.socket.end('over unix');
    await p.ended;
    expect(p.text()).toBe('OVER UNIX');
    await s.close();
    expect(existsSync(path)).toBe(false);
  });

  it('removes a stale socket file left by a dead server', async () => {
    const path = socketPath();
    await staleSocket(path);
    const s = await startServer(`echo@unix://${path}`);
    const p = await peer(path);
    p.socket.end('reclaimed');
    await p.ended;
    expect(p.text()).toBe('reclaimed');
    expect(s.listeners).toHaveLength(1);
  });

  it('refuses a socket a live server answers on, and leaves that server working', async () => {
    const path = socketPath();
    await startServer(`upper@unix://${path}`);
    await expect(serve(`echo@unix://${path}`)).rejects.toMatchObject({
      code: ErrorCode.SOCKET_IN_USE,
      message: `${path} is in use by a running server; stop it or choose another path`,
    });
    const p = await peer(path);
    p.socket.end('still mine');
    await p.ended;
    expect(p.text()).toBe('STILL MINE');
  });

  it('never deletes a path that is not a socket', async () => {
    const path = socketPath();
    await writeFile(path, 'precious');
    await expect(serve(`upper@unix://${path}`)).rejects.toThrow(`${path} exists and is not a socket`);
    expect(await readFile(path, 'utf8')).toBe('precious');
  });
});
