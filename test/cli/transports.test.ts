import { afterAll, describe, expect, it } from 'vitest';
import { makeTestCerts } from '../helpers/certs.js';
import { runCli, startServe } from '../helpers/cli.js';

const certs = makeTestCerts();
afterAll(() => certs.remove());

describe('the CLI over tls, ws and wss', () => {
  it('serve prints how to reach each listener; connect with piped input works over each', async () => {
    const s = await startServe([
      'upper@tls://127.0.0.1:0?framing=line',
      'upper@ws://127.0.0.1:0/upper',
      'upper@wss://127.0.0.1:0/',
      '--tls-cert',
      certs.cert,
      '--tls-key',
      certs.key,
    ]);
    const [tls, ws, wss] = s.urls;
    expect(s.stdout()).toMatch(
      /tls:\/\/127\.0\.0\.1:\d+ .*openssl s_client -quiet -connect 127\.0\.0\.1:\d+/,
    );
    expect(s.stdout()).toMatch(
      /ws:\/\/127\.0\.0\.1:\d+\/upper .*switchboard connect ws:\/\/127\.0\.0\.1:\d+\/upper/,
    );
    const overTls = await runCli(['connect', `${tls}?framing=line`, '--ca', certs.ca], 'hello\nworld\n');
    expect(overTls).toMatchObject({ code: 0, stdout: 'HELLO\nWORLD\n', stderr: '' });
    const overWs = await runCli(['connect', ws!], 'hello\nstraße\n');
    expect(overWs).toMatchObject({ code: 0, stdout: 'HELLO\nSTRASSE\n' });
    const overWss = await runCli(['connect', wss!, '--ca', certs.ca], 'secure\n');
    expect(overWss).toMatchObject({ code: 0, stdout: 'SECURE\n' });
  });

  it('an untrusted certificate: one line with what to do, exit 1; --insecure says so on stderr', async () => {
    const s = await startServe([`upper@tls://127.0.0.1:0?framing=line&cert=${certs.cert}&key=${certs.key}`]);
    const url = `${s.urls[0]!}?framing=line`;
    const refused = await runCli(['connect', url], 'x\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^switchboard: certificate of 127\.0\.0\.1:\d+ is not trusted \(.+\); pass --ca FILE or --insecure\n$/,
    );
    const insecure = await runCli(['connect', url, '--insecure'], 'x\n');
    expect(insecure).toMatchObject({ code: 0, stdout: 'X\n' });
    expect(insecure.stderr).toMatch(/warning: --insecure: the certificate of tls:\/\/.* is not verified/);
  });

  it('bench over ws and tls: every reply checked', async () => {
    const s = await startServe([
      'upper@ws://127.0.0.1:0/',
      `upper@tls://127.0.0.1:0?framing=len32be&cert=${certs.cert}&key=${certs.key}`,
    ]);
    const [ws, tls] = s.urls;
    const common = ['--connections', '4', '--pipeline', '8', '--messages', '2000', '--json', '--no-progress'];
    const overWs = await runCli(['bench', ws!, ...common]);
    expect(overWs.code).toBe(0);
    expect(JSON.parse(overWs.stdout)).toMatchObject({ received: 2000, ok: true });
    const overTls = await runCli(['bench', `${tls!}?ca=${certs.ca}`, '--framing', 'len32be', ...common]);
    expect(overTls.code).toBe(0);
    expect(JSON.parse(overTls.stdout)).toMatchObject({ received: 2000, ok: true });
  });

  it('chat over ws and tls share one hub', async () => {
    const s = await startServe([
      'chat@ws://127.0.0.1:0/chat?hub=main',
      `chat@tls://127.0.0.1:0?hub=main&cert=${certs.cert}&key=${certs.key}`,
    ]);
    const [ws, tls] = s.urls;
    const a = await runCli(['chat', ws!, '--nick', 'wsuser'], '/who\n');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^\* welcome to switchboard chat/m);
    expect(a.stdout).toMatch(/wsuser/);
    const b = await runCli(['chat', tls!, '--ca', certs.ca, '--nick', 'tlsuser'], '/who\n');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/tlsuser/);
  });
});
