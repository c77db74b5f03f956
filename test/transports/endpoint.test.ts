import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { formatEndpoint, parseEndpoint } from '../../src/transports/endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['tcp://127.0.0.1:8088', { transport: 'tcp', host: '127.0.0.1', port: 8088 }],
    ['udp://localhost:0', { transport: 'udp', host: 'localhost', port: 0 }],
    ['tcp://:9000', { transport: 'tcp', host: '127.0.0.1', port: 9000 }],
    ['tcp://[::1]:80', { transport: 'tcp', host: '::1', port: 80 }],
    ['127.0.0.1:7', { transport: 'tcp', host: '127.0.0.1', port: 7 }],
    [':0', { transport: 'tcp', host: '127.0.0.1', port: 0 }],
    ['unix:///tmp/sb.sock', { transport: 'unix', path: '/tmp/sb.sock' }],
    ['unix:/tmp/sb.sock', { transport: 'unix', path: '/tmp/sb.sock' }],
    ['tls://127.0.0.1:8443', { transport: 'tls', host: '127.0.0.1', port: 8443, path: '' }],
    ['ws://127.0.0.1:8090', { transport: 'ws', host: '127.0.0.1', port: 8090, path: '/' }],
    ['ws://127.0.0.1:8090/chat', { transport: 'ws', host: '127.0.0.1', port: 8090, path: '/chat' }],
    ['wss://[::1]:0/a/b?origins=*', { transport: 'wss', host: '::1', port: 0, path: '/a/b' }],
  ])('%s', (input, expected) => {
    expect(parseEndpoint(input)).toMatchObject(expected);
  });

  it('keeps query options', () => {
    const e = parseEndpoint('tcp://127.0.0.1:0?framing=len32be&maxFrame=10');
    expect(e.params.get('framing')).toBe('len32be');
    expect(e.params.get('maxFrame')).toBe('10');
  });

  it('defaults to loopback, never all interfaces, unless asked', () => {
    expect(parseEndpoint('tcp://:1').host).toBe('127.0.0.1');
    expect(parseEndpoint('tcp://0.0.0.0:1').host).toBe('0.0.0.0');
  });

  it.each([
    ['ftp://127.0.0.1:21', /unknown scheme 'ftp'/],
    ['tcp://127.0.0.1', /no port/],
    ['tcp://127.0.0.1:70000', /port '70000' is not a number from 0 to 65535/],
    ['tcp://127.0.0.1:http', /port 'http'/],
    ['unix://', /no socket path/],
    ['tcp://127.0.0.1:80/path', /tcp:\/\/ takes no path after HOST:PORT/],
    ['hello', /missing scheme/],
  ])('rejects %s with a message saying what is wrong and what is expected', (input, message) => {
    let error: unknown;
    try {
      parseEndpoint(input);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ENDPOINT });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('expected e.g. tcp://127.0.0.1:8088');
  });

  it('formats back to a URL, bracketing IPv6', () => {
    expect(formatEndpoint(parseEndpoint('tcp://[::1]:80'))).toBe('tcp://[::1]:80');
    expect(formatEndpoint(parseEndpoint('unix:///tmp/x.sock'))).toBe('unix:///tmp/x.sock');
    expect(formatEndpoint(parseEndpoint('ws://127.0.0.1:0/chat?x=1'))).toBe('ws://127.0.0.1:0/chat');
  });
});
