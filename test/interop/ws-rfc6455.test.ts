import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/client/client.js';
import { startServer } from '../helpers/socket.js';

const exec = promisify(execFile);
const script = fileURLToPath(new URL('./python/ws_raw_client.py', import.meta.url));

/** The hand-written RFC 6455 client (Python, standard library only) against a listener. */
async function rawClient(port: number, path: string, scenario: string, ...rest: string[]): Promise<unknown> {
  const { stdout } = await exec('python3', [script, '127.0.0.1', String(port), path, scenario, ...rest], {
    timeout: 15_000,
  });
  return JSON.parse(stdout) as unknown;
}

describe('a WebSocket client written from RFC 6455 (Python, no library)', () => {
  it('fragmented message with a ping inside: the pong echoes the payload, the reply is one text message', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/');
    expect(await rawClient(s.listeners[0]!.port, '/', 'fragmented')).toEqual({
      frames: [
        { op: 0xa, fin: true, payload: 'are you there?' },
        { op: 0x1, fin: true, payload: 'HELLO WORLD' },
      ],
    });
  });

  it('1,000 pipelined messages come back in order, as text', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/');
    expect(await rawClient(s.listeners[0]!.port, '/', 'pipelined')).toEqual({
      inOrder: true,
      count: 1000,
      text: true,
    });
  });

  it('binary that is not UTF-8 is answered in binary, byte for byte (ASCII upper-cased)', async () => {
    const s = await startServer('upper@ws://127.0.0.1:0/');
    expect(await rawClient(s.listeners[0]!.port, '/', 'binary')).toEqual({ op: 0x2, payload: '414243ff' });
  });

  it.each([
    ['an unmasked client frame', 'unmasked', [], 1002],
    ['invalid UTF-8 in a text message', 'invalid-utf8', [], 1007],
    ['a message over maxPayload', 'too-large', ['2048'], 1009],
  ])('%s closes with %s and costs only its own connection', async (_what, scenario, rest, code) => {
    const s = await startServer('upper@ws://127.0.0.1:0/?maxPayload=1024');
    const url = s.listeners[0]!.url;
    const bystander = await connect(url);
    expect(await rawClient(s.listeners[0]!.port, '/', scenario, ...rest)).toEqual({ closeCode: code });
    expect((await bystander.request('still here')).toString()).toBe('STILL HERE');
    await bystander.close();
  });
});
