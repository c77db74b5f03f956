import { describe, expect, it } from 'vitest';
import { liveBytes } from '../helpers/live-memory.js';
import { MAX_ACCUMULATION } from '../../src/framing/chunk-queue.js';
import { LengthPrefixedDecoder } from '../../src/framing/length-prefixed.js';
import { LineDecoder } from '../../src/framing/line.js';

/** A 1-byte read as a socket delivers it: its own allocation, not a slice of a shared pool. */
function read(byte: number): Buffer {
  const b = Buffer.allocUnsafeSlow(1);
  b[0] = byte;
  return b;
}

function header(n: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(n);
  return h;
}

// Issue 13, item 1: memory follows bytes, not reads.
describe('a decoder holds a partial message in memory proportional to its bytes', () => {
  const N = 100_000;

  it('len32be: a frame trickled in 100,000 one-byte reads keeps O(bytes), in a few buffers', () => {
    const d = new LengthPrefixedDecoder('be', 1024 * 1024);
    for (const b of header(1024 * 1024)) expect(d.push(read(b))).toEqual([]);
    for (let i = 0; i < N; i++) d.push(read(i & 0xff));
    expect(d.pendingBytes).toBe(N);
    // Geometric accumulation: unused room never exceeds what is held, plus one 64 KiB piece.
    expect(d.retainedBytes).toBeLessThanOrEqual(2 * N + MAX_ACCUMULATION);
    expect(d.retainedChunks).toBeLessThanOrEqual(Math.ceil(N / MAX_ACCUMULATION) + 12);
  });

  it('line: an endless line in 100,000 one-byte reads keeps O(bytes), in a few buffers', () => {
    const d = new LineDecoder(1024 * 1024);
    for (let i = 0; i < N; i++) d.push(read(0x61));
    expect(d.pendingBytes).toBe(N);
    expect(d.retainedBytes).toBeLessThanOrEqual(2 * N + MAX_ACCUMULATION);
    expect(d.retainedChunks).toBeLessThanOrEqual(Math.ceil(N / MAX_ACCUMULATION) + 12);
    const [line] = d.push(Buffer.from('\n'));
    expect(line).toEqual(Buffer.alloc(N, 0x61));
    expect(d.retainedChunks).toBe(0);
  });

  it('a header announcing 1 MiB and one body byte allocates nothing near 1 MiB', () => {
    const decoders = Array.from({ length: 2000 }, () => new LengthPrefixedDecoder('be', 1024 * 1024));
    for (const d of decoders) d.push(Buffer.concat([header(1024 * 1024), Buffer.from('x')]));
    const total = decoders.reduce((sum, d) => sum + d.retainedBytes, 0);
    expect(total).toBeLessThanOrEqual(2000 * 1024);
  });

  it('the small tail of a large read is copied out, not kept as a view pinning the whole read', () => {
    const big = Buffer.alloc(64 * 1024, 0x61);
    big.write('\n', big.length - 4);
    const line = new LineDecoder(1024 * 1024);
    expect(line.push(big)).toHaveLength(1);
    expect(line.pendingBytes).toBe(3);
    expect(line.retainedBytes).toBeLessThan(1024);

    const frames = Buffer.concat([header(65_000), Buffer.alloc(65_000), header(100), Buffer.alloc(2)]);
    const lp = new LengthPrefixedDecoder('be', 1024 * 1024);
    expect(lp.push(frames)).toHaveLength(1);
    expect(lp.pendingBytes).toBe(2);
    expect(lp.retainedBytes).toBeLessThan(1024);
  });

  it('a large read that is mostly the partial message is kept by reference, not copied', () => {
    const d = new LengthPrefixedDecoder('be', 1024 * 1024);
    const chunk = Buffer.concat([header(100_000), Buffer.alloc(50_000, 1)]);
    d.push(chunk);
    expect(d.retainedChunks).toBe(1);
    expect(d.retainedBytes).toBe(chunk.buffer.byteLength);
    const [frame] = d.push(Buffer.alloc(50_000, 2));
    expect(frame).toHaveLength(100_000);
    expect(frame![49_999]).toBe(1);
    expect(frame![50_000]).toBe(2);
  });

  it('2,000 decoders fed 500 one-byte reads each keep O(bytes) of heap and buffers', () => {
    const decoders = Array.from({ length: 2000 }, () => new LengthPrefixedDecoder('be', 1024 * 1024));
    for (const d of decoders) d.push(header(1024 * 1024));
    const before = liveBytes();
    for (let i = 0; i < 500; i++) for (const d of decoders) d.push(read(i & 0xff));
    const kept = liveBytes() - before;
    const received = 2000 * 500;
    // Measured: 2.3 bytes kept per byte received; one Buffer per read kept was 217 (issue 13: 194-445 of RSS).
    expect(kept / received).toBeLessThan(8);
    expect(decoders.reduce((n, d) => n + d.retainedChunks, 0)).toBeLessThanOrEqual(2000 * 3);
  });
});
