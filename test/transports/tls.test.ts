import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { connect } from '../../src/client/client.js';
import { ErrorCode } from '../../src/errors.js';
import { serve } from '../../src/server/serve.js';
import { makeTestCerts } from '../helpers/certs.js';
import { startServer } from '../helpers/socket.js';

const certs = makeTestCerts();
afterAll(() => certs.remove());
const q = (cert: string, key: string): string =>
  `cert=${encodeURIComponent(cert)}&key=${encodeURIComponent(key)}`;

describe('tls:// listeners and clients', () => {
  it('verifies against ?ca= / ca and checks the host name; framing as over TCP', async () => {
    const s = await startServer(`upper@tls://127.0.0.1:0?framing=len32be&${q(certs.cert, certs.key)}`);
    const url = s.listeners[0]!.url;
    expect(url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const a = await connect(`${url}?framing=len32be`, { ca: certs.ca });
    expect((await a.request('straße')).toString()).toBe('STRASSE');
    await a.close();
    const b = await connect(`${url}?framing=len32be&ca=${encodeURIComponent(certs.ca)}`);
    expect((await b.request('hi')).toString()).toBe('HI');
    await b.end(); // half-close: the server still answers, then closes
  });

  it('an untrusted certificate is refused with what to do; --insecure connects anyway', async () => {
    const s = await startServer(`upper@tls://127.0.0.1:0?framing=line&${q(certs.cert, certs.key)}`);
    const port = s.listeners[0]!.port;
    await expect(connect(`${s.listeners[0]!.url}?framing=line`)).rejects.toMatchObject({
      code: ErrorCode.TLS_UNTRUSTED,
      message: expect.stringMatching(
        new RegExp(
          `^certificate of 127\\.0\\.0\\.1:${port} is not trusted \\(.+\\); pass --ca FILE or --insecure$`,
        ),
      ),
    });
    const c = await connect(`${s.listeners[0]!.url}?framing=line`, { insecure: true });
    expect((await c.request('ok')).toString()).toBe('OK');
    await c.close();
  });

  it('a certificate for another host name is refused, naming both', async () => {
    const s = await startServer(
      `upper@tls://127.0.0.1:0?framing=line&${q(certs.otherHost.cert, certs.otherHost.key)}`,
    );
    await expect(connect(`${s.listeners[0]!.url}?framing=line`, { ca: certs.ca })).rejects.toMatchObject({
      code: ErrorCode.TLS_HOST_MISMATCH,
      message: expect.stringMatching(/is not valid for 127\.0\.0\.1 .*pass --insecure/),
    });
  });

  it('a handshake not finished in time is closed; plain bytes cost only that connection', async () => {
    const s = await startServer(
      `upper@tls://127.0.0.1:0?framing=line&handshakeTimeout=200&${q(certs.cert, certs.key)}`,
    );
    const port = s.listeners[0]!.port;
    const silent = netConnect(port, '127.0.0.1');
    onTestFinished(() => {
      silent.destroy();
    });
    silent.on('error', () => undefined);
    silent.resume();
    await once(silent, 'close'); // closed by the server's handshake deadline
    const http = netConnect(port, '127.0.0.1');
    http.on('error', () => undefined);
    http.resume();
    http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(http, 'close');
    const c = await connect(`${s.listeners[0]!.url}?framing=line`, { ca: certs.ca });
    expect((await c.request('still serving')).toString()).toBe('STILL SERVING');
    await c.close();
  });

  it('a missing or mismatched key file fails at start, naming the file', async () => {
    await expect(
      serve(`upper@tls://127.0.0.1:0?${q(certs.cert, '/nonexistent/key.pem')}`),
    ).rejects.toMatchObject({
      code: ErrorCode.TLS_CONFIG,
      message: 'cannot read key file /nonexistent/key.pem: no such file; check the path',
    });
    await expect(serve(`upper@tls://127.0.0.1:0?${q(certs.cert, certs.strayKey)}`)).rejects.toMatchObject({
      code: ErrorCode.TLS_CONFIG,
      message: `key file ${certs.strayKey} does not match certificate file ${certs.cert}; give the key the certificate was made for`,
    });
    await expect(serve('upper@tls://127.0.0.1:0')).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      message: expect.stringMatching(/needs a certificate and its key: add \?cert=FILE&key=FILE/),
    });
  });

  it('wss:// with the serve() options tlsCert/tlsKey', async () => {
    const s = await startServer('upper@wss://127.0.0.1:0/secure', { tlsCert: certs.cert, tlsKey: certs.key });
    const c = await connect(s.listeners[0]!.url, { ca: certs.ca });
    expect((await c.request('hello')).toString()).toBe('HELLO');
    await c.close();
    await expect(connect(s.listeners[0]!.url)).rejects.toMatchObject({ code: ErrorCode.TLS_UNTRUSTED });
  });
});
