import { createServer } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/client/client.js';
import { DEFAULT_LISTENERS } from '../../src/cli/serve.js';
import { portOf, runCli, startServe } from '../helpers/cli.js';

describe('switchboard serve', () => {
  it('defaults to the listeners of DESIGN §5, loopback only', () => {
    expect([...DEFAULT_LISTENERS].sort()).toEqual([
      'chat@tcp://127.0.0.1:8089?hub=default',
      'chat@ws://127.0.0.1:8090/chat?hub=default',
      'upper@tcp://127.0.0.1:8088',
      'upper@udp://127.0.0.1:8088',
    ]);
  });

  it('prints a banner with every endpoint, its resolved port and how to reach it', async () => {
    const s = await startServe([
      'upper@tcp://127.0.0.1:0',
      'echo@udp://127.0.0.1:0',
      'time@tcp://:0?framing=line',
    ]);
    expect(s.urls).toHaveLength(3);
    expect(s.urls[0]).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(s.urls[1]).toMatch(/^udp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(s.stdout()).toContain(`nc 127.0.0.1 ${portOf(s.urls[0]!)}`);
    expect(s.stdout()).toContain(`nc -u 127.0.0.1 ${portOf(s.urls[1]!)}`);
    expect(s.stdout()).toMatch(/time\s+tcp:\/\/127\.0\.0\.1:\d+\s+\(line\)/);
  });

  it('says where the web chat page is, for chat ws listeners without ?page=off', async () => {
    const s = await startServe(['chat@ws://127.0.0.1:0/chat', 'chat@ws://127.0.0.1:0/quiet?page=off']);
    expect(s.urls).toHaveLength(2);
    expect(s.stdout()).toContain(`Web chat: open http://127.0.0.1:${new URL(s.urls[0]!).port}/ in a browser`);
    expect(s.stdout()).not.toContain(`http://127.0.0.1:${new URL(s.urls[1]!).port}/`);
  });

  it('logs one structured line per connect and per close, with the peer and the reason', async () => {
    const s = await startServe(['upper@tcp://127.0.0.1:0?framing=line']);
    const client = await connect(`${s.urls[0]}?framing=line`);
    expect((await client.request('hi')).toString()).toBe('HI');
    await client.end();
    await expect.poll(() => s.stderr(), { timeout: 5000 }).toMatch(/"msg":"close"/);
    const lines = s
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const connectLine = lines.find((l) => l.msg === 'connect');
    const closeLine = lines.find((l) => l.msg === 'close');
    expect(connectLine).toMatchObject({ service: 'upper', transport: 'tcp', framing: 'line' });
    expect(closeLine).toMatchObject({ peer: connectLine!.peer, reason: 'peer closed', messagesIn: 1 });
  });

  it('on SIGTERM finishes replies, tells connected clients by closing, and exits 0', async () => {
    const s = await startServe(['echo@tcp://127.0.0.1:0?framing=len32be']);
    const client = await connect(`${s.urls[0]}?framing=len32be`);
    expect((await client.request('still here')).toString()).toBe('still here');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    await client.closed;
    expect(s.stderr()).toMatch(/SIGTERM: shutting down/);
  });

  it('reports a port in use in one actionable line and exits 1', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', `upper@tcp://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `switchboard: 127.0.0.1:${port} is already in use; pick another port or use :0`,
      );
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['serve', 'upper'], /expected SERVICE@URL/],
    [['serve', 'shout@tcp://127.0.0.1:0'], /unknown service 'shout'; choose one of: upper, echo, time/],
    [['serve', 'upper@tcp://127.0.0.1:70000'], /port '70000' is not a number from 0 to 65535/],
    [['serve', 'upper@tcp://127.0.0.1:0?framing=json'], /unknown framing 'json'/],
    [['serve', 'upper@tcp://127.0.0.1:0?colour=red'], /unknown option 'colour'/],
    [['serve', '--max-connections', 'lots'], /expected a whole number/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 with a clear message for bad usage: %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('shows examples in --help and exits 0', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('switchboard serve upper@tcp://127.0.0.1:2000');
  });
});
