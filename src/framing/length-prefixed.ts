import { FrameTooLargeError, TruncatedFrameError } from '../errors.js';
import { DEFAULT_MAX_FRAME, EMPTY, type Codec, type Decoder } from './codec.js';

const HEADER = 4;
/** The largest length a 32-bit header can announce. */
const MAX_U32 = 0xffff_ffff;

export type ByteOrder = 'be' | 'le';

/**
 * A 4-byte unsigned length, then that many bytes. Chunks are kept as a list with an offset into the
 * first one (as ws's receiver and nats's parser do): a message inside one chunk is a view, and only
 * a message spanning chunks is copied, once, into a buffer of its exact size.
 */
export class LengthPrefixedDecoder implements Decoder {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private offset = 0;
  private buffered = 0;
  /** Body length still to read; -1 while reading the header. */
  private need = -1;

  constructor(
    private readonly order: ByteOrder,
    private readonly maxFrame: number,
  ) {}

  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < HEADER) return out;
        const length = this.readHeader();
        // STYLE: check the limit at the header, before a single body byte is waited for or allocated.
        if (length > this.maxFrame) {
          const error = new FrameTooLargeError(length, this.maxFrame);
          error.decoded = out;
          throw error;
        }
        this.need = length; // DESIGN §3: 0 is a legal, empty message
      }
      if (this.buffered < this.need) return out;
      out.push(this.take(this.need));
      this.need = -1;
    }
  }

  end(): Buffer[] {
    if (this.need >= 0) throw new TruncatedFrameError(this.buffered, this.need);
    if (this.buffered > 0) throw new TruncatedFrameError(this.buffered, undefined);
    return [];
  }

  private readHeader(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= HEADER) {
      const length = this.order === 'be' ? first.readUInt32BE(this.offset) : first.readUInt32LE(this.offset);
      this.advance(first, HEADER);
      return length;
    }
    const header = this.take(HEADER);
    return this.order === 'be' ? header.readUInt32BE(0) : header.readUInt32LE(0);
  }

  private advance(first: Buffer, n: number): void {
    this.offset += n;
    this.buffered -= n;
    if (this.offset === first.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Remove and return the next n bytes (n <= buffered). */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    const available = first.length - this.offset;
    if (available >= n) {
      const view =
        this.offset === 0 && n === first.length ? first : first.subarray(this.offset, this.offset + n);
      this.advance(first, n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const count = Math.min(chunk.length - this.offset, n - filled);
      chunk.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      this.advance(chunk, count);
    }
    return out;
  }
}

/** `len32be` / `len32le`: what Python's `struct.pack('>I', n)` / `struct.pack('<I', n)` write. */
export function lengthPrefixedCodec(order: ByteOrder, maxFrame = DEFAULT_MAX_FRAME): Codec {
  return {
    name: order === 'be' ? 'len32be' : 'len32le',
    preservesBoundaries: true,
    createDecoder: () => new LengthPrefixedDecoder(order, maxFrame),
    encode(message) {
      if (message.length > MAX_U32) throw new FrameTooLargeError(message.length, MAX_U32);
      const out = Buffer.allocUnsafe(HEADER + message.length);
      if (order === 'be') out.writeUInt32BE(message.length, 0);
      else out.writeUInt32LE(message.length, 0);
      message.copy(out, HEADER);
      return out;
    },
    encodeAll(messages) {
      let total = 0;
      for (const m of messages) {
        if (m.length > MAX_U32) throw new FrameTooLargeError(m.length, MAX_U32);
        total += HEADER + m.length;
      }
      const out = Buffer.allocUnsafe(total);
      let at = 0;
      for (const m of messages) {
        if (order === 'be') out.writeUInt32BE(m.length, at);
        else out.writeUInt32LE(m.length, at);
        // TypedArray set(): cheaper than Buffer#copy's argument checks for small messages.
        out.set(m, at + HEADER);
        at += HEADER + m.length;
      }
      return out;
    },
  };
}
