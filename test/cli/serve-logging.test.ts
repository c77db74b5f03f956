import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, portOf } from '../helpers/cli.js';

interface BlockedServe {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

/** `switchboard serve` whose stderr is a pipe this test does not read (a stuck log shipper). */
async function serveWithStuckStderr(): Promise<BlockedServe> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--log-level', 'info', 'echo@tcp://127.0.0.1:0?framing=line'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stderr.pause(); // never read: the pipe fills and stays full
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let out = '';
  const deadline = Date.now() + 10_000;
  while (!out.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline) throw new Error(`no banner; stdout: ${out}`);
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    out += chunk.toString();
  }
  const url = /tcp:\/\/127\.0\.0\.1:\d+/.exec(out)![0];
  return { child, port: portOf(url), exited };
}

/** Open and close `count` connections, `batch` at a time, each sending one line. */
async function churn(port: number, count: number, batch = 100): Promise<void> {
  const deadline = Date.now() + 20_000; // a frozen server fails the canary below, not the timeout
  for (let done = 0; done < count && Date.now() < deadline; done += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - done) }, async () => {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        await once(s, 'connect');
        s.resume();
        s.end('hello\n');
        await Promise.race([once(s, 'close'), new Promise((r) => setTimeout(r, 2000))]);
        s.destroy();
      }),
    );
  }
}

async function canary(port: number): Promise<string> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  onTestFinished(() => {
    s.destroy();
  });
  await once(s, 'connect');
  s.write('canary\n');
  const [reply] = (await Promise.race([
    once(s, 'data'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('canary got no reply in 5 s')), 5000)),
  ])) as [Buffer];
  s.destroy();
  return reply.toString();
}

// Issue 13, item 6: logging never blocks the server.
describe('switchboard serve with a stderr nobody reads', () => {
  it('keeps serving through 1,500 connections of log lines and exits 0 on SIGTERM at once', async () => {
    const s = await serveWithStuckStderr();
    await churn(s.port, 1500);
    expect(await canary(s.port)).toBe('canary\n');
    const asked = Date.now();
    s.child.kill('SIGTERM');
    const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    expect(code).toBe(0);
    expect(Date.now() - asked).toBeLessThan(5000);
  }, 60_000);

  it('says how many lines it dropped once the pipe moves again', async () => {
    const s = await serveWithStuckStderr();
    await churn(s.port, 1500);
    expect(await canary(s.port)).toBe('canary\n');
    let err = '';
    s.child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    s.child.stderr!.resume();
    await expect
      .poll(() => err, { timeout: 10_000 })
      .toMatch(/"dropped":\d+,"msg":"\d+ log lines dropped while stderr was blocked"/);
    const lines = err.trim().split('\n');
    // Whole lines only: what was kept or dropped, a line is never cut.
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);
});
