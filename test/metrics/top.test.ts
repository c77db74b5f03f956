import { MemoryBackplane } from '../../src/backplane/memory.js';
import { describe, expect, it } from 'vitest';
import { formatTop } from '../../src/metrics/top.js';
import type { Varz, VarzListener } from '../../src/metrics/varz.js';
import { portOf, runCli, startServe } from '../helpers/cli.js';
import { frame, peer } from '../helpers/socket.js';

/** Wait for the banner's metrics line: `metrics: http://127.0.0.1:PORT/metrics …`. */
async function metricsUrl(stdout: () => string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const m = /^metrics: (http:\/\/\S+)\/metrics/m.exec(stdout());
    if (m !== null) return m[1]!;
    if (Date.now() > deadline) throw new Error(`no metrics line in: ${stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('switchboard top', () => {
  it('--once prints one row per listener with totals and closes by reason, and exits 0', async () => {
    const serve = await startServe([
      '--metrics',
      'http://127.0.0.1:0',
      'upper@tcp://127.0.0.1:0?framing=len32be',
      'chat@tcp://127.0.0.1:0',
    ]);
    const url = await metricsUrl(serve.stdout);
    const [upper, chat] = serve.urls;
    const p = await peer(portOf(upper!));
    p.socket.write(Buffer.concat(Array.from({ length: 5 }, () => frame('hi'))));
    await p.until((r) => r.length === 5 * frame('hi').length);
    p.socket.end();
    await p.ended;

    const result = await runCli(['top', url, '--once', '--interval', '200']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^switchboard \\S+  ${url}  pid \\d+  up \\d+s  ok`));
    expect(lines).toContainEqual(
      expect.stringMatching(/^LISTENER\s+SERVICE\s+UP\s+CONNS\s+TOTAL\s+MSGS\/S IN/),
    );
    const row = lines.find((l) => l.startsWith(upper!));
    expect(row?.split(/\s+/)).toEqual([upper, 'upper', 'yes', '0', '1', '0', '0', '0', '0', '5', '5']);
    expect(
      lines
        .find((l) => l.startsWith(chat!))
        ?.split(/\s+/)
        .slice(0, 3),
    ).toEqual([chat, 'chat', 'yes']);
    expect(lines).toContain('chat disconnects: none');
    expect(lines).toContainEqual(expect.stringMatching(/^closes: peer-closed 1$/));
  });

  it('an unreachable endpoint exits 1 with one line', async () => {
    // Port 9 (discard): nothing listens there on a test machine.
    const result = await runCli(['top', 'http://127.0.0.1:9', '--once']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot read metrics at http:\/\/127\.0\.0\.1:9: connection refused/);
  });

  it('shows messages per second from the change between two readings', () => {
    const listener: VarzListener = {
      service: 'upper',
      transport: 'tcp',
      url: 'tcp://127.0.0.1:8088',
      up: true,
      connections: 100,
      total_connections: 100,
      in_msgs: 1000,
      out_msgs: 1000,
      in_bytes: 68_000,
      out_bytes: 68_000,
      closes: {},
      refused: { full: 0, descriptors: 0 },
      tls_handshake_failures: 0,
    };
    const varz = (l: VarzListener): Varz => ({
      server: 'switchboard',
      version: '0.1.0',
      pid: 1,
      start: '',
      now: '',
      uptime_seconds: 62,
      status: 'ok',
      connections: l.connections,
      total_connections: l.total_connections,
      in_msgs: l.in_msgs,
      out_msgs: l.out_msgs,
      in_bytes: l.in_bytes,
      out_bytes: l.out_bytes,
      mem_rss_bytes: 50 * 1024 * 1024,
      listeners: [l],
      backplane: new MemoryBackplane().stats(),
      ws_close_codes: {},
    });
    const prev = { varz: varz(listener), at: 1000 };
    const cur = {
      varz: varz({
        ...listener,
        in_msgs: 51_000,
        out_msgs: 51_000,
        in_bytes: 3_468_000,
        out_bytes: 3_468_000,
      }),
      at: 1500,
    };
    const text = formatTop('http://127.0.0.1:9464', cur, prev);
    expect(text).toContain('up 1m2s');
    expect(text).toContain('msgs/s in 100k out 100k');
    const row = text.split('\n').find((l) => l.startsWith('tcp://127.0.0.1:8088'));
    expect(row?.split(/\s+/)).toEqual([
      'tcp://127.0.0.1:8088',
      'upper',
      'yes',
      '100',
      '100',
      '100k',
      '100k',
      '6.80M',
      '6.80M',
      '51.0k',
      '51.0k',
    ]);
  });
});
