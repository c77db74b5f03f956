import { LineTooLongError } from '../errors.js';
import { ChunkQueue } from './chunk-queue.js';
import { DEFAULT_MAX_LINE, type Codec, type Decoder } from './codec.js';

const LF = 0x0a;
const CR = 0x0d;

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Splits on `\n`, dropping a `\r` before it. Only the new chunk is searched for `\n`; the pieces of
 * an unfinished line wait in a `ChunkQueue` (memory in proportion to their bytes, however thinly
 * they were trickled: issue 13, item 1) and are joined once, when its `\n` arrives.
 */
export class LineDecoder implements Decoder {
  private readonly pending = new ChunkQueue();

  constructor(private readonly maxLine: number) {}

  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Memory held for the unfinished line (an upper bound), for tests and metrics. */
  get retainedBytes(): number {
    return this.pending.retainedBytes;
  }

  /** Buffers held for the unfinished line. */
  get retainedChunks(): number {
    return this.pending.chunkCount;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      const pendingLength = this.pending.length;
      if (lf === -1) {
        const rest = chunk.length - start;
        if (rest === 0) return out;
        // STYLE: check the limit the moment we can, not when the newline finally arrives.
        if (pendingLength + rest > this.maxLine) {
          throw this.tooLong(pendingLength + rest, out);
        }
        this.pending.append(start === 0 ? chunk : chunk.subarray(start));
        return out;
      }
      const length = pendingLength + (lf - start);
      if (length > this.maxLine) throw this.tooLong(length, out);
      out.push(stripCr(this.pending.takeAllWith(chunk.subarray(start, lf))));
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
    if (this.pending.length === 0) return [];
    return [stripCr(this.pending.take(this.pending.length))];
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
