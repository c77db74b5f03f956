import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/index.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/socket.js';
import { wrongServer } from './wrong-servers.js';

async function upperPort(framing: string): Promise<number> {
  const server = await startServer(`upper@tcp://127.0.0.1:0?framing=${framing}`);
  return server.listeners[0]!.port;
}

describe('runBench against the real server', () => {
  it.each(['len32be', 'len32le', 'line', 'raw'])('%s: every reply right, counts match', async (framing) => {
    const port = await upperPort(framing);
    const result = await runBench({
      url: `tcp://127.0.0.1:${port}?framing=${framing}`,
      connections: 4,
      pipeline: 8,
      messages: 2000,
    });
    expect(result.errors.samples).toEqual([]);
    expect(result.ok).toBe(true);
    if (result.mode !== 'request-reply') throw new Error('wrong mode');
    expect(result.sent).toBe(2000);
    expect(result.received).toBe(2000);
    expect(result.latency.count).toBe(2000);
  });

  it('raw framing with large messages the server receives in pieces', async () => {
    const port = await upperPort('raw');
    const result = await runBench({
      url: `tcp://127.0.0.1:${port}`,
      size: 100_000,
      pipeline: 4,
      messages: 40,
    });
    expect(result.errors.samples).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('an uneven split of messages over connections still sends exactly the total', async () => {
    const port = await upperPort('len32be');
    const result = await runBench({
      url: `tcp://127.0.0.1:${port}?framing=len32be`,
      connections: 7,
      messages: 100,
    });
    expect(result.mode === 'request-reply' && result.sent).toBe(100);
    expect(result.ok).toBe(true);
  });

  it('--expect echo against upper is all wrong', async () => {
    const port = await upperPort('len32be');
    const result = await runBench({
      url: `tcp://127.0.0.1:${port}?framing=len32be`,
      expect: 'echo',
      messages: 50,
    });
    expect(result.ok).toBe(false);
    expect(result.errors.wrong).toBe(50);
  });
});

describe('runBench against deliberately wrong servers', () => {
  const url = (port: number): string => `tcp://127.0.0.1:${port}?framing=len32be`;

  it('catches lower-cased replies', async () => {
    const result = await runBench({ url: url(await wrongServer('lower')), messages: 100, pipeline: 4 });
    expect(result.ok).toBe(false);
    expect(result.errors.wrong).toBe(100);
    expect(result.errors.samples[0]).toMatch(/expected '[A-Z]+.*got '[a-z]+/);
  });

  it('catches every 10th reply missing', async () => {
    const result = await runBench({
      url: url(await wrongServer('drop-every-10th')),
      messages: 100,
      connections: 1,
      pipeline: 100,
      drainTimeoutMs: 300,
    });
    expect(result.ok).toBe(false);
    // Replies come back in order: after the first dropped one, every reply is a step behind.
    expect(result.errors.missing).toBe(10);
    expect(result.errors.wrong).toBeGreaterThan(0);
  });

  it('catches a server closing mid-run', async () => {
    const result = await runBench({
      url: url(await wrongServer('close-after-50')),
      messages: 100,
      pipeline: 1,
    });
    expect(result.ok).toBe(false);
    expect(result.errors.connections).toBe(1);
    expect(result.errors.missing).toBe(1);
    expect(result.errors.samples.join('\n')).toMatch(/closed the connection mid-run/);
  });

  it('catches an extra reply', async () => {
    const result = await runBench({ url: url(await wrongServer('extra-reply')), messages: 20, pipeline: 1 });
    expect(result.ok).toBe(false);
    expect(result.errors.wrong + result.errors.unexpected).toBeGreaterThan(0);
  });

  it('a server that never answers: every request missing, bounded by the drain timeout', async () => {
    const result = await runBench({
      url: url(await wrongServer('silent')),
      messages: 10,
      pipeline: 10,
      drainTimeoutMs: 200,
    });
    expect(result.ok).toBe(false);
    expect(result.errors.missing).toBe(10);
  });
});

describe('switchboard bench (CLI)', () => {
  it('exits 0 with a results table against the real server', async () => {
    const port = await upperPort('len32be');
    const r = await runCli([
      'bench',
      `tcp://127.0.0.1:${port}?framing=len32be`,
      '-c',
      '2',
      '-p',
      '4',
      '-n',
      '1000',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1,000 sent, 1,000 replies/);
    expect(r.stdout).toMatch(/p50 .* p99\.9 /);
    expect(r.stdout).toMatch(/errors\s+none/);
  });

  it('--json gives the counts for machines', async () => {
    const port = await upperPort('raw');
    const r = await runCli(['bench', `tcp://127.0.0.1:${port}`, '-n', '500', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      sent: number;
      received: number;
      ok: boolean;
      cpu: { cpuMs: number };
    };
    expect(json).toMatchObject({ sent: 500, received: 500, ok: true });
    expect(json.cpu.cpuMs).toBeGreaterThanOrEqual(0);
  });

  it('exits 1 and says why against a server dropping replies', async () => {
    const port = await wrongServer('drop-every-10th');
    const r = await runCli([
      'bench',
      `tcp://127.0.0.1:${port}?framing=len32be`,
      '-n',
      '100',
      '-p',
      '10',
      '--timeout',
      '300',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^switchboard: bench found \d+ wrong, 10 missing/);
  });

  it('exits 1 against a lower-casing server', async () => {
    const port = await wrongServer('lower');
    const r = await runCli(['bench', `tcp://127.0.0.1:${port}`, '--framing', 'len32be', '-n', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/20 wrong/);
  });

  it('exits 1 with one line when nothing listens', async () => {
    const port = await upperPort('raw');
    const r = await runCli(['bench', `tcp://127.0.0.1:${port}`, '-n', '1']);
    expect(r.code).toBe(0);
    const refused = await runCli(['bench', 'tcp://127.0.0.1:1', '-n', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^switchboard: connection to 127\.0\.0\.1:1 refused/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 on bad usage', async () => {
    const both = await runCli(['bench', 'tcp://127.0.0.1:9', '-n', '5', '-d', '1s']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --duration or --messages/);
    const udp = await runCli(['bench', 'udp://127.0.0.1:9']);
    expect(udp.code).toBe(2);
    const badFraming = await runCli(['bench', 'tcp://127.0.0.1:9', '--framing', 'nope']);
    expect(badFraming.code).toBe(2);
  });
});

describe('runBench --mode fanout', () => {
  it('switchboard chat: every member gets every message once, in order', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?flood=0');
    const port = server.listeners[0]!.port;
    for (const pipeline of [0, 1, 50]) {
      const result = await runBench({
        url: `tcp://127.0.0.1:${port}`,
        mode: 'fanout',
        subscribers: 5,
        pipeline,
        messages: 300,
      });
      expect(result.errors.samples).toEqual([]);
      if (result.mode !== 'fanout') throw new Error('wrong mode');
      expect(result.sent).toBe(300);
      expect(result.deliveries).toBe(1500);
      expect(result.latency.count).toBe(1500);
    }
  });

  it('a hub that is not there: a connection error, not a hang', async () => {
    const port = await upperPort('line'); // upper replies to the sender only: no member ever hears
    await expect(
      runBench({
        url: `tcp://127.0.0.1:${port}`,
        mode: 'fanout',
        subscribers: 2,
        messages: 10,
        connectTimeoutMs: 300,
      }),
    ).rejects.toThrow(/only 0 of 2 members received/);
  });
});
