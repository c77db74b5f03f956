import { describe, expect, it } from 'vitest';
import type { Codec } from '../../src/framing/codec.js';
import { createCodec } from '../../src/framing/registry.js';
import { silentLogger } from '../../src/log.js';
import { upperService } from '../../src/services/upper.js';
import { serviceFromHandler, type MessageHandler, type Service } from '../../src/services/service.js';
import { ConnectionSession } from '../../src/session/connection-session.js';
import type { Connection, ConnectionHandler } from '../../src/transports/connection.js';

/** A stream connection that records what the session writes, one entry per write() call. */
class RecordingConnection implements Connection {
  readonly transport = 'tcp' as const;
  readonly kind = 'stream' as const;
  readonly peer = 'test';
  readonly remoteAddress = undefined;
  readonly writes: Buffer[] = [];
  handler: ConnectionHandler | undefined;
  destroyed = false;
  writable = true;
  bufferedBytes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  attach(handler: ConnectionHandler): void {
    this.handler = handler;
  }
  write(data: Buffer): boolean {
    this.writes.push(data);
    return true;
  }
  writeAll(data: readonly Buffer[]): boolean {
    this.writes.push(...data);
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {
    this.writable = false;
  }
  destroy(): void {
    this.destroyed = true;
  }
  setIdleTimeout(): void {}
  /** Everything written, as one buffer. */
  get output(): Buffer {
    return Buffer.concat(this.writes);
  }
}

function session(service: Service, codec: Codec = createCodec('len32be')) {
  const connection = new RecordingConnection();
  const s = new ConnectionSession(
    connection,
    codec,
    service,
    silentLogger,
    { idleTimeoutMs: 0, lingerMs: 1000, messageTimeoutMs: 0 },
    () => {},
  );
  s.open();
  return { connection, session: s };
}

const codec = createCodec('len32be');
const wire = (...messages: string[]) => codec.encodeAll(messages.map((m) => Buffer.from(m)));
const handler = (h: MessageHandler) => serviceFromHandler(h, 'test');

describe('ConnectionSession: a read whose replies are its requests changed in place', () => {
  it('writes the read buffer itself back, headers included (no copy)', () => {
    const { connection } = session(upperService());
    const chunk = wire('abc', '', 'hello world');
    connection.handler!.onData(chunk);
    expect(connection.writes).toHaveLength(1);
    expect(connection.writes[0]).toBe(chunk);
    expect(connection.output).toEqual(wire('ABC', '', 'HELLO WORLD'));
  });

  it('encodes replies when the chunk began with the end of an earlier frame (header split 1 + 3)', () => {
    const { connection } = session(upperService());
    const bytes = wire('one', 'two');
    connection.handler!.onData(Buffer.from(bytes.subarray(0, 1)));
    connection.handler!.onData(Buffer.from(bytes.subarray(1)));
    expect(connection.output).toEqual(wire('ONE', 'TWO'));
  });

  it('encodes replies when the chunk ends inside a frame, and serves that frame once complete', () => {
    const { connection } = session(upperService());
    const bytes = wire('one', 'two', 'three');
    const chunk = Buffer.from(bytes.subarray(0, bytes.length - 2));
    connection.handler!.onData(chunk);
    expect(connection.writes[0]).not.toBe(chunk);
    expect(connection.output).toEqual(wire('ONE', 'TWO'));
    connection.handler!.onData(Buffer.from(bytes.subarray(bytes.length - 2)));
    expect(connection.output).toEqual(wire('ONE', 'TWO', 'THREE'));
  });

  it('encodes replies when one of them is a different buffer (here: longer)', () => {
    const { connection } = session(
      handler((m) => (m.toString() === 'b' ? Buffer.from('bbb') : m.fill(0x2a))),
    );
    connection.handler!.onData(wire('a', 'b', 'cc'));
    expect(connection.output).toEqual(wire('*', 'bbb', '**'));
  });

  it('encodes replies when a message gets no reply', () => {
    const { connection } = session(handler((m) => (m.toString() === 'skip' ? undefined : m)));
    connection.handler!.onData(wire('a', 'skip', 'c'));
    expect(connection.output).toEqual(wire('a', 'c'));
  });

  it('writes nothing when no message gets a reply', () => {
    const { connection } = session(handler(() => undefined));
    connection.handler!.onData(wire('a', 'b'));
    expect(connection.writes).toHaveLength(0);
  });

  it('Unicode upper-casing that changes a length is encoded, not written back', () => {
    const { connection } = session(upperService());
    connection.handler!.onData(wire('ab', 'straße', 'cd'));
    expect(connection.output).toEqual(wire('AB', 'STRASSE', 'CD'));
  });

  it('a service that keeps a copy of a message and answers with it later', () => {
    let kept: Buffer | undefined;
    const { connection } = session(
      handler((m) => {
        const previous = kept;
        kept = Buffer.from(m); // the contract: copy to keep
        m.fill(0x2d);
        return previous ?? m;
      }),
    );
    connection.handler!.onData(wire('first', 'second'));
    connection.handler!.onData(wire('third'));
    expect(connection.output).toEqual(wire('-----', 'first', 'second'));
  });

  it('replies before a promise are written first, the rest once it settles, in order', async () => {
    const { connection } = session(
      handler((m) => (m.toString() === 'wait' ? Promise.resolve(Buffer.from('waited')) : m.fill(0x2b))),
    );
    connection.handler!.onData(wire('a', 'wait', 'bb'));
    expect(connection.output).toEqual(wire('+'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.output).toEqual(wire('+', 'waited', '++'));
  });

  it('replies before a failing message still go out, then the error notice', () => {
    const { connection } = session(
      handler((m) => {
        if (m.toString() === 'boom') throw new Error('boom');
        return m;
      }),
    );
    connection.handler!.onData(wire('a', 'boom', 'c'));
    const out = connection.output;
    expect(out.subarray(0, 5)).toEqual(wire('a'));
    expect(out.subarray(9).toString()).toMatch(/internal server error/);
  });

  it('a frame over the limit: frames before it are served (encoded), then the peer is told', () => {
    const { connection } = session(upperService(), createCodec('len32be', { maxFrame: 4 }));
    const chunk = Buffer.concat([wire('ok'), wire('toolong')]);
    connection.handler!.onData(chunk);
    expect(connection.writes[0]).not.toBe(chunk);
    expect(connection.output.subarray(0, 6)).toEqual(wire('OK'));
    expect(connection.writable).toBe(false);
  });

  it('line framing never writes the read back (its encoding is not a function of length)', () => {
    const { connection } = session(upperService(), createCodec('line'));
    connection.handler!.onData(Buffer.from('ab\r\ncd\n'));
    expect(connection.output.toString()).toBe('AB\nCD\n');
  });
});
