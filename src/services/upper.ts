import { isAscii, isUtf8 } from 'node:buffer';
import type { Service } from './service.js';

const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const CASE_BIT = 0x20;
const NON_ASCII = 0x80;

/** ASCII letters upper-cased, every other byte kept: Python's `bytes.upper()`. */
export function upperAsciiBytes(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[i] = b >= LOWER_A && b <= LOWER_Z ? b ^ CASE_BIT : b;
  }
  return out;
}

/**
 * Unicode upper-casing when the message is valid UTF-8 ("straße" -> "STRASSE"), ASCII bytes
 * otherwise, so no byte is ever lost or replaced (DESIGN §4).
 */
export function upperText(bytes: Buffer): Buffer {
  // One pass for the common case, ASCII: upper-case as we go, and leave for the Unicode path at
  // the first byte >= 0x80 (an isAscii() check first read every byte twice; profile: 100x16 upper).
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= NON_ASCII) {
      return isUtf8(bytes)
        ? Buffer.from(bytes.toString('utf8').toUpperCase(), 'utf8')
        : upperAsciiBytes(bytes);
    }
    out[i] = b >= LOWER_A && b <= LOWER_Z ? b ^ CASE_BIT : b;
  }
  return out;
}

/**
 * From this size on, an ASCII buffer is upper-cased faster through V8's one-byte string
 * toUpperCase and written back in place than byte by byte in JavaScript (measured on Node 20:
 * 64 B 2.5x slower, 1 KiB 2x faster, 16 KiB 4x faster); raw reads of pipelined traffic are KiBs.
 */
const NATIVE_FROM = 256;

function upperAsciiNative(bytes: Buffer): Buffer {
  bytes.write(bytes.toString('latin1').toUpperCase(), 0, 'latin1');
  return bytes;
}

/** From this length on, a message is upper-cased four bytes at a time (below, the set-up costs more). */
const WORDS_FROM = 16;
/** The largest buffer whose word view is kept between messages: at most one read's worth alive. */
const WORD_VIEW_MAX = 64 * 1024;
let wordBuffer: ArrayBufferLike | undefined;
let wordView: Int32Array<ArrayBufferLike> = new Int32Array(0);

/**
 * A 32-bit view over the memory of `bytes`, shared by every message of that memory: the messages
 * of one read are views of one buffer, so a view per message (an object each) is not needed.
 */
function wordsOf(bytes: Buffer): Int32Array | undefined {
  const memory = bytes.buffer;
  if (memory === wordBuffer) return wordView;
  if (memory.byteLength > WORD_VIEW_MAX) return undefined;
  wordBuffer = memory;
  wordView = new Int32Array(memory, 0, memory.byteLength >>> 2);
  return wordView;
}

/**
 * Upper-cases the ASCII letters of `bytes` in place and leaves every other byte as it is; returns
 * whether a byte >= 0x80 was seen. Aligned words go four bytes at a time (SWAR): for a byte b < 0x80,
 * b + 0x1f has its top bit set when b >= 'a' and b + 0x05 when b > 'z'; the top bit of the byte
 * itself excludes non-ASCII. Masked to 7 bits first, no byte's sum carries into its neighbour.
 * Byte order does not matter: every step works on each byte alone.
 */
function upperAsciiLetters(bytes: Buffer): boolean {
  const n = bytes.length;
  let high = 0;
  let i = 0;
  const words = n >= WORDS_FROM ? wordsOf(bytes) : undefined;
  if (words !== undefined) {
    const offset = bytes.byteOffset;
    const head = (4 - (offset & 3)) & 3;
    for (; i < head; i++) {
      const b = bytes[i]!;
      high |= b;
      if (b >= LOWER_A && b <= LOWER_Z) bytes[i] = b ^ CASE_BIT;
    }
    const last = (offset + n) >>> 2;
    for (let w = (offset + i) >>> 2; w < last; w++) {
      const x = words[w]!;
      high |= x;
      const low7 = x & 0x7f7f7f7f;
      const letters = ((low7 + 0x1f1f1f1f) & ~(low7 + 0x05050505) & ~x & 0x80808080) >>> 2;
      if (letters !== 0) words[w] = x ^ letters;
    }
    i = last * 4 - offset;
  }
  for (; i < n; i++) {
    const b = bytes[i]!;
    high |= b;
    if (b >= LOWER_A && b <= LOWER_Z) bytes[i] = b ^ CASE_BIT;
  }
  return (high & 0x80808080) !== 0;
}

/**
 * The service's own path: the message is upper-cased where it lies, and the same buffer is the
 * reply. The session hands each message to the service once and never reads it again (the
 * decoder's views do not overlap), so the allocation and copy of a fresh reply per message — the
 * largest cost above a bare echo in the 100x16 profile — are not needed; and a read whose replies
 * are all its own messages goes back out as it is (ConnectionSession.handle). The exported
 * functions above stay pure for everyone else (the bench computes expected replies with them).
 */
function upperAsciiInPlace(bytes: Buffer): Buffer {
  if (bytes.length >= NATIVE_FROM && isAscii(bytes)) return upperAsciiNative(bytes);
  upperAsciiLetters(bytes);
  return bytes;
}

function upperTextInPlace(bytes: Buffer): Buffer {
  if (bytes.length >= NATIVE_FROM && isAscii(bytes)) return upperAsciiNative(bytes);
  if (!upperAsciiLetters(bytes)) return bytes;
  // Not ASCII. Its ASCII letters are upper-cased already, as both paths below would do (Unicode
  // upper-casing maps each code point alone, and an ASCII byte is a code point of its own in UTF-8).
  return isUtf8(bytes) ? Buffer.from(bytes.toString('utf8').toUpperCase(), 'utf8') : bytes;
}

/**
 * `upper`: replies with the message upper-cased. A `raw` read may end inside a multi-byte character,
 * so raw streams get ASCII-only upper-casing; framed messages and datagrams are whole, so they get
 * Unicode upper-casing when they are valid UTF-8.
 */
export function upperService(): Service {
  return {
    name: 'upper',
    onMessage: (message, session) =>
      session.framing === 'raw' ? upperAsciiInPlace(message) : upperTextInPlace(message),
  };
}
