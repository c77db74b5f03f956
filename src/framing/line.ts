import { LineTooLongError } from '../errors.js';
import { DEFAULT_MAX_LINE, type Codec, type Decoder } from './codec.js';

const LF = 0x0a;
const CR = 0x0d;

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Splits on `\n`, dropping a `\r` before it. Only the new chunk is searched for `\n`; the pieces of
 * an unfinished line are kept as a list and joined once, when its `\n` arrives.
 */
export class LineDecoder implements Decoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxLine: number) {}

  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        const rest = chunk.length - start;
        if (rest === 0) return out;
        // STYLE: check the limit the moment we can, not when the newline finally arrives.
        if (this.pendingLength + rest > this.maxLine) {
          throw this.tooLong(this.pendingLength + rest, out);
        }
        this.pending.push(start === 0 ? chunk : chunk.subarray(start));
        this.pendingLength += rest;
        return out;
      }
      const length = this.pendingLength + (lf - start);
      if (length > this.maxLine) throw this.tooLong(length, out);
      if (this.pendingLength === 0) {
        out.push(stripCr(chunk.subarray(start, lf)));
      } else {
        this.pending.push(chunk.subarray(start, lf));
        out.push(stripCr(Buffer.concat(this.pending, length)));
        this.pending = [];
        this.pendingLength = 0;
      }
      start = lf + 1;
    }
  }

  private tooLong(length: number, decoded: Buffer[]): LineTooLongError {
    const error = new LineTooLongError(length, this.maxLine);
    error.decoded = decoded;
    return error;
  }

  /** An unterminated last line still counts (as Python's readline and `nc` users expect). */
  end(): Buffer[] {
    if (this.pendingLength === 0) return [];
    const last = stripCr(Buffer.concat(this.pending, this.pendingLength));
    this.pending = [];
    this.pendingLength = 0;
    return [last];
  }
}

const NEWLINE = Buffer.from('\n');

/** `line`: UTF-8 text ending in `\n`. A message holding `\n` itself goes out as several lines. */
export function lineCodec(maxLine = DEFAULT_MAX_LINE): Codec {
  return {
    name: 'line',
    preservesBoundaries: true,
    createDecoder: () => new LineDecoder(maxLine),
    encode(message) {
      if (message.length === 0) return NEWLINE;
      const out = Buffer.allocUnsafe(message.length + 1);
      message.copy(out, 0);
      out[message.length] = LF;
      return out;
    },
    encodeAll(messages) {
      let total = 0;
      for (const m of messages) total += m.length + 1;
      const out = Buffer.allocUnsafe(total);
      let at = 0;
      for (const m of messages) {
        out.set(m, at);
        at += m.length;
        out[at++] = LF;
      }
      return out;
    },
  };
}
