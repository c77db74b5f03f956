import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../../src/framing/codec.js';
import { createCodec } from '../../src/framing/registry.js';

/** Cut `bytes` at the given points (sorted, deduplicated) into consecutive chunks. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of at) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function decodeAll(codec: Codec, chunks: Buffer[]): Buffer[] {
  const decoder = codec.createDecoder();
  const out: Buffer[] = [];
  // Copy each chunk: a decoder may return views, and the test must not share memory with its input.
  for (const chunk of chunks) for (const m of decoder.push(Buffer.from(chunk))) out.push(Buffer.from(m));
  for (const m of decoder.end()) out.push(Buffer.from(m));
  return out;
}

const anyBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
/** Line messages hold no `\n`, and no trailing `\r` (it is dropped before `\n` by design). */
const lineMessage = fc
  .uint8Array({ maxLength: 200 })
  .map((a) => Buffer.from(a.filter((b) => b !== 0x0a)))
  .filter((b) => b.length === 0 || b[b.length - 1] !== 0x0d);

describe.each(['len32be', 'len32le'])('%s decodes any messages under any cut of their encoding', (name) => {
  const codec = createCodec(name);
  it('random split', () => {
    fc.assert(
      fc.property(
        fc.array(anyBytes, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, points) => {
          const wire = Buffer.concat(messages.map((m) => codec.encode(m)));
          expect(decodeAll(codec, cut(wire, points))).toEqual(messages);
        },
      ),
    );
  });

  it('framedChunk: a chunk reported as whole frames is encodeAll() of what it decoded to', () => {
    fc.assert(
      fc.property(
        fc.array(anyBytes, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, points) => {
          const wire = Buffer.concat(messages.map((m) => codec.encode(m)));
          const decoder = codec.createDecoder();
          for (const chunk of cut(wire, points)) {
            const decoded = decoder.push(Buffer.from(chunk));
            if (decoder.framedChunk === true) expect(codec.encodeAll(decoded)).toEqual(chunk);
          }
          // Uncut, the whole encoding is whole frames (when there is at least one).
          const whole = codec.createDecoder();
          whole.push(Buffer.from(wire));
          expect(whole.framedChunk).toBe(messages.length > 0);
        },
      ),
    );
  });

  it('byte by byte', () => {
    fc.assert(
      fc.property(fc.array(anyBytes, { maxLength: 8 }), (messages) => {
        const wire = Buffer.concat(messages.map((m) => codec.encode(m)));
        const bytes = [...wire].map((b) => Buffer.from([b]));
        expect(decodeAll(codec, bytes)).toEqual(messages);
      }),
      { numRuns: 50 },
    );
  });
});

/**
 * Chunks as views into one larger buffer (as a caller slicing its own reads would pass them), with
 * messages long enough that some chunks are kept by reference and others copied (issue 13, item 1).
 */
function decodeViews(codec: Codec, chunks: Buffer[]): Buffer[] {
  const decoder = codec.createDecoder();
  const backing = Buffer.concat([Buffer.alloc(7), ...chunks, Buffer.alloc(7)]);
  const out: Buffer[] = [];
  let at = 7;
  for (const chunk of chunks) {
    for (const m of decoder.push(backing.subarray(at, at + chunk.length))) out.push(Buffer.from(m));
    at += chunk.length;
  }
  for (const m of decoder.end()) out.push(Buffer.from(m));
  return out;
}

const bigBytes = fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a));

describe.each(['len32be', 'line'])('%s: large messages, chunks kept and chunks copied', (name) => {
  const codec = createCodec(name);
  const message =
    name === 'line'
      ? bigBytes.map((b) => Buffer.from(b.map((x) => (x === 0x0a || x === 0x0d ? 0x20 : x))))
      : bigBytes;
  it('random split, as views into a larger buffer and as separate reads', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, points) => {
          const wire = Buffer.concat(messages.map((m) => codec.encode(m)));
          expect(decodeViews(codec, cut(wire, points))).toEqual(messages);
          expect(decodeAll(codec, cut(wire, points))).toEqual(messages);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('line decodes any lines under any cut of their encoding', () => {
  const codec = createCodec('line');
  it('random split', () => {
    fc.assert(
      fc.property(
        fc.array(lineMessage, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, points) => {
          const wire = Buffer.concat(messages.map((m) => codec.encode(m)));
          expect(decodeAll(codec, cut(wire, points))).toEqual(messages);
        },
      ),
    );
  });

  it('byte by byte, with \\r\\n endings', () => {
    fc.assert(
      fc.property(fc.array(lineMessage, { maxLength: 8 }), (messages) => {
        const wire = Buffer.concat(messages.map((m) => Buffer.concat([m, Buffer.from('\r\n')])));
        expect(
          decodeAll(
            codec,
            [...wire].map((b) => Buffer.from([b])),
          ),
        ).toEqual(messages);
      }),
      { numRuns: 50 },
    );
  });
});

describe('raw passes every byte through in order, whatever the cut', () => {
  const codec = createCodec('raw');
  it('random split', () => {
    fc.assert(
      fc.property(anyBytes, fc.array(fc.nat(), { maxLength: 30 }), (bytes, points) => {
        const out = decodeAll(codec, cut(bytes, points));
        expect(Buffer.concat(out)).toEqual(bytes);
        expect(out.every((m) => m.length > 0)).toBe(true);
      }),
    );
  });
});
