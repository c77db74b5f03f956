import { describe, expect, it } from 'vitest';
import { ErrorCode, FrameTooLargeError, TruncatedFrameError } from '../../src/errors.js';
import { DEFAULT_MAX_FRAME } from '../../src/framing/codec.js';
import { lengthPrefixedCodec } from '../../src/framing/length-prefixed.js';

function header(n: number, order: 'be' | 'le' = 'be'): Buffer {
  const h = Buffer.alloc(4);
  if (order === 'be') h.writeUInt32BE(n);
  else h.writeUInt32LE(n);
  return h;
}

describe('len32be / len32le', () => {
  it('write what Python struct.pack(">I") and struct.pack("<I") write', () => {
    expect(lengthPrefixedCodec('be').encode(Buffer.from('hi'))).toEqual(
      Buffer.from([0, 0, 0, 2, 0x68, 0x69]),
    );
    expect(lengthPrefixedCodec('le').encode(Buffer.from('hi'))).toEqual(
      Buffer.from([2, 0, 0, 0, 0x68, 0x69]),
    );
  });

  it('decode a zero-length frame as a legal, empty message', () => {
    const d = lengthPrefixedCodec('be').createDecoder();
    expect(d.push(Buffer.concat([header(0), header(0), header(1), Buffer.from('x')]))).toEqual([
      Buffer.alloc(0),
      Buffer.alloc(0),
      Buffer.from('x'),
    ]);
    expect(d.pendingBytes).toBe(0);
  });

  it('decode a header split 1 + 3 and a body split across reads', () => {
    const d = lengthPrefixedCodec('le').createDecoder();
    const wire = Buffer.concat([header(5, 'le'), Buffer.from('hello')]);
    expect(d.push(wire.subarray(0, 1))).toEqual([]);
    expect(d.push(wire.subarray(1, 4))).toEqual([]);
    expect(d.push(wire.subarray(4, 6))).toEqual([]);
    expect(d.push(wire.subarray(6))).toEqual([Buffer.from('hello')]);
  });

  it('fail at limit + 1 as soon as the header arrives, before any body byte', () => {
    const limit = 1000;
    const d = lengthPrefixedCodec('be', limit).createDecoder();
    expect(() => d.push(header(limit + 1))).toThrow(FrameTooLargeError);
    const ok = lengthPrefixedCodec('be', limit).createDecoder();
    expect(ok.push(Buffer.concat([header(limit), Buffer.alloc(limit)]))[0]).toHaveLength(limit);
  });

  it('keep the frames a read completed before a bad header on the error', () => {
    const d = lengthPrefixedCodec('be', 10).createDecoder();
    expect(() => d.push(Buffer.concat([header(2), Buffer.from('ok'), header(11)]))).toThrow(
      expect.objectContaining({ decoded: [Buffer.from('ok')] }),
    );
  });

  it('allocate nothing for a header announcing 4 GiB', () => {
    const d = lengthPrefixedCodec('be').createDecoder();
    const before = process.memoryUsage().arrayBuffers;
    let error: unknown;
    try {
      d.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({
      code: ErrorCode.FRAME_TOO_LARGE,
      length: 0xffff_ffff,
      limit: DEFAULT_MAX_FRAME,
    });
    expect((error as Error).message).toMatch(/exceeds the limit of 1 MiB; raise maxFrame/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('return views into the chunk when a frame fits in it (no copy)', () => {
    const wire = Buffer.concat([header(3), Buffer.from('abc'), header(2), Buffer.from('de')]);
    const [a, b] = lengthPrefixedCodec('be').createDecoder().push(wire);
    expect(a!.buffer).toBe(wire.buffer);
    expect(b!.buffer).toBe(wire.buffer);
  });

  it('never re-concatenates the backlog: a 1 MiB frame in 1-KiB chunks is copied once', () => {
    const size = 1024 * 1024;
    const d = lengthPrefixedCodec('be').createDecoder();
    const body = Buffer.alloc(size, 7);
    expect(d.push(header(size))).toEqual([]);
    let out: Buffer[] = [];
    for (let i = 0; i < size; i += 1024) out = d.push(body.subarray(i, i + 1024));
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(body)).toBe(true);
  });

  it('report a stream that ends inside a header or a body', () => {
    const inHeader = lengthPrefixedCodec('be').createDecoder();
    inHeader.push(Buffer.from([0, 0]));
    expect(() => inHeader.end()).toThrow(TruncatedFrameError);
    const inBody = lengthPrefixedCodec('be').createDecoder();
    inBody.push(Buffer.concat([header(10), Buffer.from('abc')]));
    expect(() => inBody.end()).toThrow(/stream ended after 3 of 10 frame bytes/);
  });

  it('report framedChunk only for a chunk that is exactly whole frames (then it is their encoding)', () => {
    const codec = lengthPrefixedCodec('be', 8);
    const d = codec.createDecoder();
    const whole = codec.encodeAll([Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')]);
    const messages = d.push(whole);
    expect(d.framedChunk).toBe(true);
    expect(codec.encodeAll(messages)).toEqual(whole);
    // Changed in place, the messages are still what the chunk encodes.
    messages[0]!.fill(0x41);
    expect(codec.encodeAll(messages)).toEqual(whole);

    d.push(whole.subarray(0, 1)); // a header split 1 + 3
    expect(d.framedChunk).toBe(false);
    d.push(whole.subarray(1));
    expect(d.framedChunk).toBe(false); // it began with the rest of a header
    d.push(whole.subarray(0, whole.length - 1)); // it ends inside a frame
    expect(d.framedChunk).toBe(false);
    d.push(whole.subarray(whole.length - 1));
    expect(d.framedChunk).toBe(false);
    d.push(Buffer.alloc(0));
    expect(d.framedChunk).toBe(false);
    d.push(header(0)); // one empty frame is whole frames too
    expect(d.framedChunk).toBe(true);
    expect(() => d.push(Buffer.concat([header(1), Buffer.from('x'), header(9)]))).toThrow(FrameTooLargeError);
    expect(d.framedChunk).toBe(false);
  });
});
