import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DescriptorWatch } from '../../src/transports/descriptors.js';
import { CLI, portOf } from '../helpers/cli.js';

const linux = process.platform === 'linux';

function openCount(): number {
  return new DescriptorWatch().stats.inUse;
}

// Issue 13, item 5: out of descriptors is said, not silent.
describe.runIf(linux)('descriptor watch', () => {
  it('refuses past the reserve, counts, logs one line per episode, and admits again', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const log = (level: string) => (_: unknown, msg: string) => void lines.push({ level, msg });
    const base = openCount();
    const watch = new DescriptorWatch({ soft: base + 40, hard: base + 100 });
    watch.logger = { error: log('error'), info: log('info') } as never;
    // Each attempt holds a real descriptor, as an accepted socket does; a refused one is closed.
    const held: number[] = [];
    onTestFinished(() => held.forEach((fd) => closeSync(fd)));
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      const fd = openSync('/dev/null', 'r');
      if (watch.admit('tcp://127.0.0.1:1')) {
        admitted++;
        held.push(fd);
      } else closeSync(fd);
    }
    expect(admitted).toBeGreaterThan(20);
    expect(admitted).toBeLessThan(40);
    expect(watch.stats).toMatchObject({ exhaustions: 1, refused: 100 - admitted });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain(`of ${base + 40} in use (ulimit -n ${base + 40})`);
    expect(lines[0]!.msg).toContain(`ulimit -n ${base + 100} (the hard limit)`);
    for (const fd of held.splice(0)) {
      closeSync(fd);
      watch.release();
    }
    // While out, the exact count is read again at most every 100 ms: a short back-off.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(watch.admit('tcp://127.0.0.1:1')).toBe(true);
    expect(lines[1]).toMatchObject({ level: 'info' });
    expect(lines[1]!.msg).toMatch(
      /file descriptors available again .* \d+ connection\(s\) were refused meanwhile/,
    );
  });

  it('a server under ulimit -n 64 says so once, names the limit, and serves again once descriptors free up', async () => {
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 64 && exec "$0" "$@"`,
        process.execPath,
        CLI,
        'serve',
        'echo@tcp://127.0.0.1:0?framing=line',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 10_000 }).toContain('Press Ctrl-C to stop.');
    const port = portOf(/tcp:\/\/127\.0\.0\.1:\d+/.exec(out)![0]);

    const clients: Socket[] = [];
    const results = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const s = connect(port, '127.0.0.1');
        clients.push(s);
        s.on('error', () => undefined);
        onTestFinished(() => {
          s.destroy();
        });
        return new Promise<string>((resolve) => {
          s.once('data', () => resolve('served'));
          s.once('close', () => resolve('refused'));
          setTimeout(() => resolve('waiting'), 5000);
          s.once('connect', () => s.write('hi\n'));
        });
      }),
    );
    expect(results.filter((r) => r === 'served').length).toBeGreaterThan(10);
    expect(results.filter((r) => r === 'refused').length).toBeGreaterThan(10);
    const said = (): string[] => err.split('\n').filter((l) => l.includes('out of file descriptors'));
    await expect.poll(() => said().length, { timeout: 5000 }).toBe(1);
    expect(said()[0]).toContain('of 64 in use (ulimit -n 64)');
    expect(JSON.parse(said()[0]!)).toMatchObject({ limit: 64, level: 50 });

    for (const s of clients) s.destroy();
    // Once descriptors are free again, a new client is served.
    await expect
      .poll(
        async () => {
          const s = connect(port, '127.0.0.1');
          s.on('error', () => undefined);
          try {
            await once(s, 'connect');
            s.write('again\n');
            const [d] = (await Promise.race([
              once(s, 'data'),
              new Promise((_, reject) => setTimeout(() => reject(new Error('no reply')), 1000)),
            ])) as [Buffer];
            return d.toString();
          } catch {
            return 'refused';
          } finally {
            s.destroy();
          }
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe('again\n');
    expect(said()).toHaveLength(1);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  }, 40_000);

  it('serve runs with its soft descriptor limit raised to the hard limit (Node does it at start)', async () => {
    const child = spawn(
      'sh',
      ['-c', `ulimit -Sn 64 && exec "$0" "$@"`, process.execPath, CLI, 'serve', 'echo@tcp://127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 10_000 }).toContain('Press Ctrl-C to stop.');
    const line = readFileSync(`/proc/${child.pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))!;
    const [soft, hard] = line.split(/\s+/).slice(3, 5);
    expect(soft).toBe(hard);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });
});
