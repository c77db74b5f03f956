import { EMPTY } from './codec.js';

/**
 * A piece shorter than this is copied into an accumulation buffer rather than kept as its own
 * Buffer. A Buffer costs a few hundred bytes of memory whatever its length (measured: ~390 bytes of
 * RSS per 1-byte read kept), so a peer trickling one byte per read would otherwise cost the server
 * hundreds of times what it sends (issue 13, item 1). At 256 bytes and more, a kept read costs at
 * most ~2.5 times its bytes.
 */
export const COALESCE_BELOW = 256;
/** The first accumulation buffer; later ones grow with what is buffered (geometrically). */
export const MIN_ACCUMULATION = 256;
/** The largest accumulation buffer: past it a partial message is held as a list of 64 KiB pieces. */
export const MAX_ACCUMULATION = 64 * 1024;

/**
 * The bytes a decoder holds for a message not yet complete: a list of chunks and an offset into the
 * first, as ws's receiver keeps them, with one difference — memory follows bytes, not reads.
 *
 * A chunk is kept by reference (no copy) only when it is at least `COALESCE_BELOW` bytes long and
 * covers at least half of the memory behind it; anything else (a 1-byte read, the 3-byte tail of a
 * 64 KiB read that would pin the whole 64 KiB) is copied into an accumulation buffer owned by the
 * queue. Each new accumulation buffer is as large as what is buffered so far (from 256 bytes up to
 * 64 KiB), so its unused room never exceeds the bytes held: a partial message of N bytes costs at
 * most about 2N bytes plus a constant, however it was cut, and nothing is allocated up front for
 * what a header merely announces. Accumulation buffers under 4 KiB are slices of Node's shared
 * 8 KiB pool (cheap: most live for one read); a long-lived one may keep its slab alive, so a
 * connection holding a partial message costs at most 8 KiB beyond the 2N (measured across 2,000
 * decoders: under 2 bytes kept per byte received).
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Whether chunks[i] is an accumulation buffer of ours (its whole capacity counts as retained). */
  private owned: boolean[] = [];
  /** Read position inside chunks[0]. */
  private offset = 0;
  private bytes = 0;
  /**
   * The accumulation buffer, when it is the last entry of chunks; that entry is the view
   * [0, tailUsed), refreshed lazily (`sealed`) so that appending a byte creates no object.
   */
  private tail: Buffer | undefined;
  private tailUsed = 0;
  private sealed = true;

  /** Bytes buffered and not yet taken. */
  get length(): number {
    return this.bytes;
  }

  /** How many Buffers the queue holds (kept chunks and accumulation buffers). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /**
   * An upper bound of the memory the queue keeps alive: the whole allocation behind each chunk it
   * references, and the full capacity of its accumulation buffers. For tests and metrics: O(chunks).
   */
  get retainedBytes(): number {
    let total = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      total += this.owned[i] === true ? this.capacityOf(i) : this.chunks[i]!.buffer.byteLength;
    }
    return total;
  }

  private capacityOf(i: number): number {
    return i === this.chunks.length - 1 && this.tail !== undefined
      ? this.tail.length
      : this.chunks[i]!.length;
  }

  /** Make the last entry show everything appended to the accumulation buffer. */
  private seal(): void {
    if (this.sealed) return;
    this.chunks[this.chunks.length - 1] = this.tail!.subarray(0, this.tailUsed);
    this.sealed = true;
  }

  /** Add bytes at the end. The queue may keep `piece` by reference: do not change it afterwards. */
  append(piece: Buffer): void {
    const n = piece.length;
    if (n === 0) return;
    this.bytes += n;
    if (n >= COALESCE_BELOW && n * 2 >= piece.buffer.byteLength) {
      this.seal();
      this.chunks.push(piece);
      this.owned.push(false);
      this.tail = undefined;
      return;
    }
    let copied = 0;
    if (this.tail !== undefined) {
      copied = Math.min(n, this.tail.length - this.tailUsed);
      if (copied === n) this.tail.set(piece, this.tailUsed);
      else if (copied > 0) this.tail.set(piece.subarray(0, copied), this.tailUsed);
      this.tailUsed += copied;
      this.sealed = false;
    }
    if (copied === n) return;
    this.seal();
    const rest = n - copied;
    const capacity = Math.max(rest, Math.min(MAX_ACCUMULATION, Math.max(MIN_ACCUMULATION, this.bytes)));
    // Small accumulation buffers come from Node's shared pool (cheap: most live for one read);
    // larger ones are allocations of their own.
    this.tail = Buffer.allocUnsafe(capacity);
    this.tail.set(copied === 0 ? piece : piece.subarray(copied), 0);
    this.tailUsed = rest;
    this.chunks.push(this.tail.subarray(0, rest));
    this.owned.push(true);
  }

  /** The 32-bit unsigned integer at the front, without removing it (4 <= length). */
  peekUInt32(order: 'be' | 'le'): number {
    this.seal();
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) {
      return order === 'be' ? first.readUInt32BE(this.offset) : first.readUInt32LE(this.offset);
    }
    const bytes = [0, 0, 0, 0];
    let i = 0;
    for (let c = 0, at = this.offset; i < 4; c++, at = 0) {
      const chunk = this.chunks[c]!;
      for (; at < chunk.length && i < 4; at++) bytes[i++] = chunk[at]!;
    }
    const [a, b, c, d] = bytes as [number, number, number, number];
    return order === 'be'
      ? ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
      : ((d << 24) | (c << 16) | (b << 8) | a) >>> 0;
  }

  /** Drop the next n bytes (n <= length). */
  skip(n: number): void {
    this.seal();
    let left = n;
    while (left > 0) {
      const first = this.chunks[0]!;
      const count = Math.min(first.length - this.offset, left);
      this.advance(first, count);
      left -= count;
    }
  }

  /**
   * Remove and return the next n bytes (n <= length): a view when they lie in one chunk, else one
   * buffer of exactly n bytes filled once (no re-concatenation of the backlog).
   */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.seal();
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
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

  /**
   * Remove everything buffered and return it followed by `piece`, in one buffer (`piece` is not
   * kept). A view of `piece` alone when nothing is buffered.
   */
  takeAllWith(piece: Buffer): Buffer {
    if (this.bytes === 0) return piece;
    if (piece.length === 0) return this.take(this.bytes);
    const tail = this.tail;
    if (this.chunks.length === 1 && tail !== undefined && tail.length - this.tailUsed >= piece.length) {
      // All of it is in the accumulation buffer, with room for the piece: one view, no new buffer.
      tail.set(piece, this.tailUsed);
      const whole = tail.subarray(this.offset, this.tailUsed + piece.length);
      this.clear();
      return whole;
    }
    this.seal();
    const out = Buffer.allocUnsafe(this.bytes + piece.length);
    let at = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const start = i === 0 ? this.offset : 0;
      chunk.copy(out, at, start);
      at += chunk.length - start;
    }
    piece.copy(out, at);
    this.clear();
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.owned = [];
    this.sealed = true;
    this.offset = 0;
    this.bytes = 0;
    this.tail = undefined;
    this.tailUsed = 0;
  }

  private advance(first: Buffer, n: number): void {
    this.offset += n;
    this.bytes -= n;
    if (this.offset === first.length) {
      this.chunks.shift();
      this.owned.shift();
      this.offset = 0;
      // The accumulation buffer is only ever last: once it is read out it is let go, not reused, so
      // an idle connection holds nothing (a chat hub's idle members are most of its memory).
      if (this.chunks.length === 0) this.tail = undefined;
    }
  }
}
