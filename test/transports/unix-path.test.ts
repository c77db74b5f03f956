import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ErrorCode, SocketPathTooLongError } from '../../src/errors.js';
import { serve } from '../../src/server/serve.js';
import { MAX_UNIX_PATH_BYTES, parseEndpoint } from '../../src/transports/endpoint.js';
import { runCli } from '../helpers/cli.js';
import { peer, startServer } from '../helpers/socket.js';

function socketPath(): string {
  const path = join(tmpdir(), `sb-path-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  onTestFinished(() => rm(path, { force: true }));
  return path;
}

/** A path of exactly `bytes` bytes under the temporary directory. */
function pathOfLength(bytes: number): string {
  const dir = `${tmpdir()}/sb-${process.pid}-`;
  return dir + 'p'.repeat(bytes - dir.length);
}

function errorOf(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

// Issue 13, item 8: Unix socket paths.
describe('unix:// socket paths', () => {
  it(`refuses a path over ${MAX_UNIX_PATH_BYTES} bytes instead of binding a silently cut one`, () => {
    const long = pathOfLength(120);
    const error = errorOf(() => parseEndpoint(`unix://${long}`));
    expect(error).toBeInstanceOf(SocketPathTooLongError);
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ENDPOINT, bytes: 120, limit: MAX_UNIX_PATH_BYTES });
    expect(error.message).toContain(
      `the socket path is 120 bytes, over the ${MAX_UNIX_PATH_BYTES}-byte limit`,
    );
    expect(error.message).toContain('use a shorter path');
    expect(parseEndpoint(`unix://${pathOfLength(MAX_UNIX_PATH_BYTES)}`).path).toHaveLength(
      MAX_UNIX_PATH_BYTES,
    );
    // Counted in bytes, not characters.
    const multibyte = pathOfLength(MAX_UNIX_PATH_BYTES).slice(0, -1) + 'é';
    expect(errorOf(() => parseEndpoint(`unix://${multibyte}`)).message).toContain(
      `${MAX_UNIX_PATH_BYTES + 1} bytes`,
    );
  });

  it('refuses a NUL byte in the path', () => {
    const error = errorOf(() => parseEndpoint('unix:///tmp/a%00b.sock'));
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ENDPOINT });
    expect(error.message).toContain('NUL byte (%00)');
  });

  it.each([
    ['unix:///tmp/100%.sock', "'%.s' in the socket path is not a %-escape", 'write a literal % as %25'],
    ['unix:///tmp/a%zzb.sock', "'%zz' in the socket path is not a %-escape", 'two hex digits'],
    ['unix:///tmp/ok%20then%E0%A4.sock', "'%E0%A4' in the socket path does not decode to UTF-8", 'UTF-8'],
  ])('explains a malformed escape: %s', (input, what, hint) => {
    const error = errorOf(() => parseEndpoint(input));
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ENDPOINT });
    expect(error.message).toContain(what);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('URI malformed');
  });

  it('takes ?mode= as octal for unix endpoints only, and refuses anything else', () => {
    const e = parseEndpoint('unix:///tmp/x.sock?mode=0660&framing=line');
    expect(e.socketMode).toBe(0o660);
    expect(e.params.has('mode')).toBe(false);
    expect(e.params.get('framing')).toBe('line');
    expect(parseEndpoint('unix:///tmp/x.sock?mode=600').socketMode).toBe(0o600);
    expect(parseEndpoint('unix:///tmp/x.sock').socketMode).toBeUndefined();
    for (const bad of ['999', '0o660', 'rw', '4755', '66', '']) {
      const error = errorOf(() => parseEndpoint(`unix:///tmp/x.sock?mode=${bad}`));
      expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION });
      expect(error.message).toContain(`mode=${bad} is not a file mode; give three octal digits such as 0660`);
    }
    expect(parseEndpoint('tcp://127.0.0.1:0?mode=0660').params.get('mode')).toBe('0660');
  });

  it('applies ?mode= to the socket file before accepting', async () => {
    for (const mode of [0o660, 0o600, 0o666]) {
      const path = socketPath();
      const server = await startServer(`upper@unix://${path}?mode=0${mode.toString(8)}`);
      expect(statSync(path).mode & 0o777).toBe(mode);
      const p = await peer(path);
      p.socket.end('moded');
      await p.ended;
      expect(p.text()).toBe('MODED');
      await server.close();
    }
  });

  it('names a missing directory as missing, not "permission denied"', async () => {
    const dir = join(tmpdir(), `sb-missing-${process.pid}`, 'deeper');
    const path = join(dir, 'x.sock');
    await expect(serve(`upper@unix://${path}`)).rejects.toMatchObject({
      code: ErrorCode.PATH_NOT_FOUND,
      peer: path,
      message: `cannot create ${path}: directory ${dir} does not exist; create it (mkdir -p ${dir}) or choose another path`,
    });
  });

  it('switchboard serve: a too-long path is bad usage (exit 2), one line, and no file is left', async () => {
    const long = pathOfLength(120);
    const cut = long.slice(0, 107);
    const r = await runCli(['serve', `upper@unix://${long}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^switchboard: invalid endpoint .*the socket path is 120 bytes, over the/);
    expect(existsSync(long)).toBe(false);
    expect(existsSync(cut)).toBe(false);
    const bad = await runCli(['serve', 'upper@unix:///tmp/x.sock?mode=0999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('mode=0999 is not a file mode');
  });
});
