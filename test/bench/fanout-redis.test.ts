import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runBench, type FanoutAdapterName, type FanoutResult } from '../../src/bench/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { portOf, runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { startRedis, type RedisProcess } from '../helpers/redis.js';

/**
 * Issue 10: the fan-out bench with members on two nodes that share rooms through a real
 * redis-server (started on a free port): the sender on node A, members round-robin over A and B.
 * Every member on both nodes must get every line once, in order, whichever hub relays it.
 */

const SOCKET_IO_CHAT = fileURLToPath(new URL('../../bench/servers/socketio-chat.js', import.meta.url));

function switchboardNode(redis: RedisProcess, listener: string): Promise<ServeProcess> {
  return startServe(['--backplane', redis.url, listener]);
}

/** `bench/servers/socketio-chat.js --redis URL`; resolves its port and pid, killed when the test ends. */
async function socketIoNode(redis: RedisProcess): Promise<{ port: number; pid: number }> {
  const child = spawn(process.execPath, [SOCKET_IO_CHAT, '--redis', redis.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`socketio-chat printed no port in 10 s: ${err}`)),
      10_000,
    );
    child.once('exit', (code) => reject(new Error(`socketio-chat exited with ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { port, pid: child.pid! };
}

/** 1 sender → 3 + 3 members × 200 lines, flat out, one in flight and a window of 20. */
async function exactAcrossNodes(
  urls: [string, string],
  adapter: FanoutAdapterName,
  pids: [number, number],
  redis: RedisProcess,
): Promise<void> {
  for (const pipeline of [0, 1, 20]) {
    const result = (await runBench({
      url: urls,
      mode: 'fanout',
      adapter,
      subscribers: 6,
      pipeline,
      messages: 200,
      serverPid: pids,
      backplanePid: redis.child.pid!,
    })) as FanoutResult;
    expect(result.errors.samples).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.sent).toBe(200);
    expect(result.deliveries).toBe(1200);
    expect(result.latency.count).toBe(1200);
    expect(result.errors.gaps + result.errors.repeats + result.errors.missing).toBe(0);
    // Members round-robin: three on each node, each node's three got all 200 lines.
    expect(result.perNode).toEqual([
      { url: urls[0], members: 3, deliveries: 600 },
      { url: urls[1], members: 3, deliveries: 600 },
    ]);
    expect(result.urls).toEqual(urls);
    // Both nodes measured and summed; the redis-server on a line of its own.
    expect(result.serverCpu?.pids).toEqual(pids);
    expect(result.serverCpu?.perProcess?.map((p) => p.pid)).toEqual(pids);
    expect(result.backplaneCpu?.pid).toBe(redis.child.pid);
  }
}

describe('runBench --mode fanout over two nodes on one Redis (issue 10)', () => {
  it('switchboard chat@tcp, two nodes with --backplane: every member on both nodes gets every line once, in order', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([
      switchboardNode(redis, 'chat@tcp://127.0.0.1:0?flood=0'),
      switchboardNode(redis, 'chat@tcp://127.0.0.1:0?flood=0'),
    ]);
    await exactAcrossNodes([a.urls[0]!, b.urls[0]!], 'switchboard', [a.child.pid!, b.child.pid!], redis);
  });

  it('switchboard chat@ws, two nodes with --backplane: the same counts over WebSocket', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([
      switchboardNode(redis, 'chat@ws://127.0.0.1:0/chat?flood=0'),
      switchboardNode(redis, 'chat@ws://127.0.0.1:0/chat?flood=0'),
    ]);
    await exactAcrossNodes([a.urls[0]!, b.urls[0]!], 'switchboard', [a.child.pid!, b.child.pid!], redis);
  });

  it('Socket.IO 4 with @socket.io/redis-adapter, two nodes: the same counts', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([socketIoNode(redis), socketIoNode(redis)]);
    await exactAcrossNodes(
      [`ws://127.0.0.1:${a.port}/socket.io/`, `ws://127.0.0.1:${b.port}/socket.io/`],
      'socketio',
      [a.pid, b.pid],
      redis,
    );
  });

  it('the CLI: several URLs, --server-pid A,B and --backplane-pid in the JSON; nodes that share nothing fail in bounded time', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([
      switchboardNode(redis, 'chat@tcp://127.0.0.1:0?flood=0'),
      switchboardNode(redis, 'chat@tcp://127.0.0.1:0?flood=0'),
    ]);
    const pids = `${a.child.pid},${b.child.pid}`;
    const run = await runCli(
      [
        'bench',
        a.urls[0]!,
        b.urls[0]!,
        '--mode',
        'fanout',
        '--subscribers',
        '4',
        '--messages',
        '100',
        '--pipeline',
        '10',
        '--server-pid',
        pids,
        '--backplane-pid',
        String(redis.child.pid),
        '--json',
      ],
      '',
      15_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as FanoutResult;
    expect(json.deliveries).toBe(400);
    expect(json.serverCpu?.pids).toEqual([a.child.pid, b.child.pid]);
    expect(json.backplaneCpu?.cpuMs).toBeGreaterThanOrEqual(0);
    expect(json.perNode?.map((n) => n.deliveries)).toEqual([200, 200]);

    // A node without the backplane shares no room with A: its members never hear the sender.
    const alone = await startServe(['chat@tcp://127.0.0.1:0?flood=0']);
    await expect(
      runBench({
        url: [a.urls[0]!, alone.urls[0]!],
        mode: 'fanout',
        subscribers: 2,
        messages: 10,
        connectTimeoutMs: 1500,
      }),
    ).rejects.toThrow(
      new RegExp(`1 of 2 members .*1 silent members, on 127\\.0\\.0\\.1:${portOf(alone.urls[0]!)}`),
    );
  });

  it('nodes of one run must share a transport and a framing', async () => {
    await expect(
      runBench({ url: ['tcp://127.0.0.1:9', 'ws://127.0.0.1:9/chat'], mode: 'fanout', messages: 1 }),
    ).rejects.toThrow(InvalidOptionError);
    await expect(
      runBench({ url: ['tcp://127.0.0.1:9?framing=line', 'tcp://127.0.0.1:10'], messages: 1 }),
    ).rejects.toThrow(/differ in \?framing=/);
    await expect(runBench({ url: [], messages: 1 })).rejects.toThrow(InvalidOptionError);
  });
});
