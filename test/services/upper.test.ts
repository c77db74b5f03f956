import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { upperAsciiBytes, upperService, upperText } from '../../src/services/upper.js';

/** What Python's bytes.upper() does: a-z become A-Z, every other byte stays. */
function pythonBytesUpper(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b)));
}

describe('upper', () => {
  it('raw: changes ASCII letters only, byte for byte, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        const out = upperAsciiBytes(Buffer.from(bytes));
        expect(out).toEqual(pythonBytesUpper(bytes));
      }),
    );
  });

  it('raw: leaves UTF-8 multi-byte characters untouched (a read may split them)', () => {
    expect(upperAsciiBytes(Buffer.from('héllo wörld')).toString()).toBe('HéLLO WöRLD');
  });

  it('framed: upper-cases Unicode text when the message is valid UTF-8', () => {
    expect(upperText(Buffer.from('straße ünïcode ǆ')).toString()).toBe('STRASSE ÜNÏCODE Ǆ');
  });

  it('framed: falls back to ASCII bytes for invalid UTF-8, losing or replacing nothing', () => {
    const binary = Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x00, 0x7a]);
    expect(upperText(binary)).toEqual(Buffer.from([0x41, 0xff, 0x42, 0xc3, 0x00, 0x5a]));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const out = upperText(buf);
        if (!Buffer.from(buf.toString('utf8'), 'utf8').equals(buf))
          expect(out).toEqual(pythonBytesUpper(bytes));
        else expect(out.toString('utf8')).toBe(buf.toString('utf8').toUpperCase());
      }),
    );
  });
});

describe('upper service on large messages (the native ASCII path)', () => {
  it('upper-cases long ASCII and long non-ASCII messages the same as the pure functions', () => {
    const service = upperService();
    const ascii = Buffer.from('hello world, 123 ~ abcxyz '.repeat(40));
    const mixed = Buffer.from('grüße aus straße '.repeat(40));
    const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 256));
    const session = (framing: string) => ({ framing }) as unknown as Parameters<typeof service.onMessage>[1];
    expect(service.onMessage(Buffer.from(ascii), session('len32be'))).toEqual(upperText(ascii));
    expect(service.onMessage(Buffer.from(mixed), session('len32be'))).toEqual(upperText(mixed));
    expect(service.onMessage(Buffer.from(bytes), session('len32be'))).toEqual(upperText(bytes));
    expect(service.onMessage(Buffer.from(ascii), session('raw'))).toEqual(upperAsciiBytes(ascii));
    expect(service.onMessage(Buffer.from(bytes), session('raw'))).toEqual(upperAsciiBytes(bytes));
  });
});

describe('upper service on short messages (four bytes at a time, in place)', () => {
  const service = upperService();
  const session = (framing: string) => ({ framing }) as unknown as Parameters<typeof service.onMessage>[1];

  it('any bytes at any offset of a shared buffer: the pure functions result, neighbours untouched', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 255 }),
        fc.nat(7),
        fc.constantFrom('len32be', 'raw'),
        (bytes, offset, framing) => {
          // Words are read from the whole buffer: the bytes around the message must not change.
          const memory = Buffer.alloc(offset + bytes.length + 7, 0x61);
          const message = memory.subarray(offset, offset + bytes.length);
          message.set(bytes);
          const reply = service.onMessage(message, session(framing)) as Buffer;
          const pure =
            framing === 'raw' ? upperAsciiBytes(Buffer.from(bytes)) : upperText(Buffer.from(bytes));
          expect(reply).toEqual(pure);
          expect(memory.subarray(0, offset).every((b) => b === 0x61)).toBe(true);
          expect(memory.subarray(offset + bytes.length).every((b) => b === 0x61)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('letters next to bytes >= 0x80 and the edges of the ranges (` a z { @ A Z [)', () => {
    const edges = Buffer.from([0x60, 0x61, 0x7a, 0x7b, 0x40, 0x41, 0x5a, 0x5b, 0xff, 0x61, 0xe1, 0x60]);
    const message = Buffer.concat([edges, edges, edges]);
    expect(service.onMessage(Buffer.from(message), session('raw'))).toEqual(upperAsciiBytes(message));
    expect(service.onMessage(Buffer.from(message), session('len32be'))).toEqual(upperText(message));
    const text = Buffer.from('abcdefgh straße abcdefgh');
    expect((service.onMessage(text, session('len32be')) as Buffer).toString()).toBe(
      'ABCDEFGH STRASSE ABCDEFGH',
    );
  });
});
