import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runBench } from '../../src/bench/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { startServer } from '../helpers/socket.js';

const SOCKET_IO_CHAT = fileURLToPath(new URL('../../bench/servers/socketio-chat.js', import.meta.url));

/** Start a child that prints `ws://127.0.0.1:PORT…` or is polled on `port`; killed when the test ends. */
async function startChild(cmd: string, args: string[], port?: number): Promise<number> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (port === undefined && m) resolve(Number(m[1]));
    });
    // nats-server logs "Server is ready" on stderr once every listener is up.
    child.stderr.on('data', () => {
      if (port !== undefined && err.includes('Server is ready')) resolve(port);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function exactFanout(url: string, adapter: 'switchboard' | 'socketio' | 'nats'): Promise<void> {
  for (const pipeline of [0, 1, 20]) {
    const result = await runBench({ url, mode: 'fanout', adapter, subscribers: 3, pipeline, messages: 200 });
    expect(result.errors.samples).toEqual([]);
    if (result.mode !== 'fanout') throw new Error('wrong mode');
    expect(result.ok).toBe(true);
    expect(result.sent).toBe(200);
    expect(result.deliveries).toBe(600);
    expect(result.latency.count).toBe(600);
  }
}

describe('runBench --mode fanout over WebSocket (raw ws clients)', () => {
  it('switchboard chat@ws: every member gets every line once, in order', async () => {
    const server = await startServer('chat@ws://127.0.0.1:0/chat?flood=0');
    await exactFanout(`ws://127.0.0.1:${server.listeners[0]!.port}/chat`, 'switchboard');
  });

  it("Socket.IO 4 (bench/servers/socketio-chat.js): the same counts through Socket.IO's framing", async () => {
    const port = await startChild(process.execPath, [SOCKET_IO_CHAT]);
    await exactFanout(`ws://127.0.0.1:${port}/socket.io/`, 'socketio');
  });

  it.skipIf(!has('nats-server'))(
    'nats-server websocket: the NATS stream parsed across messages',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-nats-ws-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const [tcpPort, wsPort] = [await freePort(), await freePort()];
      const conf = join(dir, 'nats.conf');
      writeFileSync(
        conf,
        `listen: "127.0.0.1:${tcpPort}"\nwebsocket {\n  listen: "127.0.0.1:${wsPort}"\n  no_tls: true\n}\n`,
      );
      await startChild('nats-server', ['-c', conf], wsPort);
      await exactFanout(`ws://127.0.0.1:${wsPort}`, 'nats');
    },
  );

  it('the Socket.IO adapter against a hub that is not Socket.IO: a handshake error, not a hang', async () => {
    const server = await startServer('chat@ws://127.0.0.1:0/chat');
    await expect(
      runBench({
        url: `ws://127.0.0.1:${server.listeners[0]!.port}/chat`,
        mode: 'fanout',
        adapter: 'socketio',
        subscribers: 2,
        messages: 10,
        connectTimeoutMs: 1000,
      }),
    ).rejects.toThrow(/HTTP 404|Engine\.IO's open packet/);
  });

  it('adapters and transports that do not go together are usage errors', async () => {
    await expect(
      runBench({ url: 'tcp://127.0.0.1:9', mode: 'fanout', adapter: 'socketio', messages: 1 }),
    ).rejects.toThrow(InvalidOptionError);
    await expect(
      runBench({ url: 'ws://127.0.0.1:9/', mode: 'fanout', adapter: 'ncat', messages: 1 }),
    ).rejects.toThrow(/no WebSocket fan-out/);
  });
});
