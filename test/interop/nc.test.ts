import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startServer } from '../helpers/socket.js';

const exec = promisify(execFile);

/** Real OpenBSD netcat (Debian netcat-openbsd; .ci/run installs it). */
async function nc(args: string[], input: string): Promise<string> {
  const command = `printf '${input}' | nc ${args.join(' ')}`;
  try {
    const { stdout } = await exec('sh', ['-c', command], { timeout: 10_000 });
    return stdout;
  } catch (err) {
    throw new Error(`'${command}' failed (is netcat-openbsd installed?): ${(err as Error).message}`);
  }
}

describe('nc as the foreign peer', () => {
  it('nc -N over TCP, line framing: every line answered before the close', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0?framing=line');
    expect(await nc(['-N', '127.0.0.1', String(s.listeners[0]!.port)], 'one\\ntwo\\r\\nthree')).toBe(
      'ONE\nTWO\nTHREE\n',
    );
  });

  it('nc -U over a Unix socket', async () => {
    const path = join(tmpdir(), `sb-nc-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    await startServer(`upper@unix://${path}`);
    expect(await nc(['-N', '-U', path], 'unix via nc')).toBe('UNIX VIA NC');
  });

  it('nc -u over UDP, one datagram and its reply', async () => {
    const s = await startServer('upper@udp://127.0.0.1:0');
    // -w1: UDP has no close, so nc waits one second of quiet and exits.
    expect(await nc(['-u', '-w1', '127.0.0.1', String(s.listeners[0]!.port)], 'datagram')).toBe('DATAGRAM');
  });
});
