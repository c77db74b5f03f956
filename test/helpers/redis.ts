import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A real redis-server on 127.0.0.1, started by the test and killed when it ends (DESIGN §8). */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  child: ChildProcess;
  /** SIGKILL it (no save), as a crash. */
  kill(): Promise<void>;
  /** Start it again on the same port (with no data: persistence is off). */
  restart(): Promise<void>;
}

/** A port that was free a moment ago (redis-server cannot take port 0 and report it back). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  probe.close();
  await once(probe, 'close');
  return port;
}

export async function startRedis(): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  const port = await freePort();
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start on ${port}: ${out}`)),
        10_000,
      );
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited ${code} on port ${port}: ${out}`));
      });
    });
    return child;
  };
  const redis: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    child: await launch(),
    async kill() {
      const child = redis.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await redis.kill();
      redis.child = await launch();
    },
  };
  onTestFinished(async () => {
    redis.child.kill('SIGCONT');
    await redis.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return redis;
}
