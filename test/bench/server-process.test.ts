import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  decodeProcAddress,
  findServerProcess,
  isLocalHost,
  processExists,
} from '../../src/bench/server-process.js';
import { portOf, startServe } from '../helpers/cli.js';

/**
 * A plain Node server in a child process, listening on `where` (port 0 or a socket path); resolves
 * its pid and what it listens on once it prints that. Killed when the test ends.
 */
async function childServer(where: string): Promise<{ pid: number; port: number }> {
  const script = `
    const server = require('node:net').createServer((s) => s.pipe(s));
    const where = process.argv[1];
    server.listen(where === '0' ? { port: 0, host: '127.0.0.1' } : { path: where }, () => {
      const a = server.address();
      console.log(typeof a === 'string' ? 'ready 0' : 'ready ' + a.port);
    });`;
  const child = spawn(process.execPath, ['-e', script, where], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    const m = /ready (\d+)/.exec(out);
    if (m !== null) return { pid: child.pid!, port: Number(m[1]) };
  }
  throw new Error(`the child server exited without listening: ${out}`);
}

describe('findServerProcess', () => {
  it('finds the child process listening on a TCP port', async () => {
    const { pid, port } = await childServer('0');
    const lookup = findServerProcess({ host: '127.0.0.1', port });
    expect(lookup).toMatchObject({ found: true, pids: [pid] });
    // localhost means this machine too.
    expect(findServerProcess({ host: 'localhost', port })).toMatchObject({ found: true, pids: [pid] });
  });

  it('finds the child process listening on a Unix socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'server.sock');
    const { pid } = await childServer(path);
    expect(findServerProcess({ path })).toMatchObject({ found: true, pids: [pid] });
  });

  it('measures the workers of serve --workers too: node:cluster children of the listening primary', async () => {
    const s = await startServe(['--workers', '2', 'upper@tcp://127.0.0.1:0']);
    await expect.poll(() => /\(pids (\d+), (\d+)\)/.exec(s.stdout())).not.toBeNull();
    const workers = /\(pids (\d+), (\d+)\)/.exec(s.stdout())!.slice(1).map(Number);
    const lookup = findServerProcess({ host: '127.0.0.1', port: portOf(s.urls[0]!) });
    expect(lookup).toMatchObject({
      found: true,
      pids: [s.child.pid, ...workers.sort((a, b) => a - b)],
      how: expect.stringMatching(/and its 2 worker process\(es\)$/),
    });
  });

  it('says why when nothing listens there', async () => {
    // A port that was just free: bound, then closed.
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    server.close();
    await once(server, 'close');
    const lookup = findServerProcess({ host: '127.0.0.1', port });
    expect(lookup.found).toBe(false);
    if (!lookup.found)
      expect(lookup.reason).toMatch(/no listening socket for 127\.0\.0\.1:\d+.*--server-pid/);
    const unix = findServerProcess({ path: '/nonexistent/switchboard.sock' });
    expect(unix.found).toBe(false);
  });

  it('does not look for servers on other machines', () => {
    const lookup = findServerProcess({ host: '192.0.2.1', port: 80 }); // TEST-NET-1: never local
    expect(lookup).toMatchObject({ found: false, reason: '192.0.2.1:80 is not on this machine' });
    expect(isLocalHost('127.0.0.1')).toBe(true);
    expect(isLocalHost('::1')).toBe(true);
    expect(isLocalHost('192.0.2.1')).toBe(false);
  });
});

describe('/proc helpers', () => {
  // The kernel prints each address word in host order; these are the little-endian spellings.
  it.runIf(endianness() === 'LE')('decodes /proc/net/tcp and tcp6 addresses', () => {
    expect(decodeProcAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000')).toBe('0.0.0.0');
    expect(decodeProcAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:7f00:1');
  });

  it('knows which processes exist', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 1)).toBe(false); // above the kernel's pid_max ceiling
  });
});
