import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connect } from '../../src/client/client.js';
import { startServer } from '../helpers/socket.js';

const exec = promisify(execFile);
const script = (name: string): string => fileURLToPath(new URL(`./python/${name}`, import.meta.url));

/** Run a tutorial client with the machine's python3; CI installs it (see .ci/run). */
async function python(name: string, args: Array<string | number>): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await exec('python3', [script(name), ...args.map(String)], { timeout: 10_000 });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; code?: number | string };
    if (e.code === 'ENOENT') throw new Error('python3 is not installed: apt-get install python3');
    return { stdout: e.stdout ?? '', code: typeof e.code === 'number' ? e.code : -1 };
  }
}

describe('Python clients written the way socket tutorials write them', () => {
  it('TCP: send / recv(1024) against upper in raw mode', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const r = await python('tcp_upper_client.py', [s.listeners[0]!.port, 'hello', 'world', 'straße']);
    // Raw mode upper-cases ASCII only, like bytes.upper(): ß stays ß.
    expect(r.stdout).toBe('HELLO\nWORLD\nSTRAßE\n');
  });

  it("struct.pack('i', n) headers (native little-endian) speak len32le, glued into one send", async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=len32le');
    const r = await python('len32_client.py', [s.listeners[0]!.port, 'i', 'sticky', 'packets', '', 'grüße']);
    expect(r.stdout).toBe('STICKY\nPACKETS\n\nGRÜSSE\n');
  });

  it("struct.pack('>I', n) headers speak len32be", async () => {
    const s = await startServer('echo@tcp://127.0.0.1:0?framing=len32be');
    const r = await python('len32_client.py', [s.listeners[0]!.port, '>I', 'one', 'two']);
    expect(r.stdout).toBe('one\ntwo\n');
  });

  it('UDP: sendto / recvfrom, and an empty datagram gets an empty reply', async () => {
    const s = await startServer('upper@udp://127.0.0.1:0');
    const r = await python('udp_client.py', [s.listeners[0]!.port, 'ping', '', 'ok']);
    expect(r.stdout).toBe("'PING' True\n'' True\n'OK' True\n");
  });

  it('Unix domain socket client with a half-close', async () => {
    const path = join(tmpdir(), `sb-py-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    await startServer(`upper@unix://${path}`);
    const r = await python('unix_client.py', [path, 'over a unix socket']);
    expect(r.stdout).toBe('OVER A UNIX SOCKET\n');
  });

  it('a client that crashes mid-frame costs only its own connection', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=len32be');
    const url = `${s.listeners[0]!.url}?framing=len32be`;
    const survivor = await connect(url);
    onTestFinished(() => survivor.close());
    const r = await python('vanishing_client.py', [s.listeners[0]!.port]);
    expect(r).toEqual({ stdout: 'vanishing\n', code: 3 });
    await expect.poll(() => s.connections, { timeout: 5000 }).toBe(1);
    expect((await survivor.request('still served')).toString()).toBe('STILL SERVED');
    const after = await python('len32_client.py', [s.listeners[0]!.port, '>I', 'next']);
    expect(after.stdout).toBe('NEXT\n');
  });
});
