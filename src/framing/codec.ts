/**
 * The framing layer (DESIGN §3): bytes <-> messages, pure and synchronous, no sockets.
 */

/** 64 KiB: the longest line the `line` framing accepts by default. */
export const DEFAULT_MAX_LINE = 64 * 1024;
/** 1 MiB: the largest frame a length-prefixed framing accepts by default, as NATS's max_payload. */
export const DEFAULT_MAX_FRAME = 1024 * 1024;

export const FRAMING_NAMES = ['raw', 'line', 'len32be', 'len32le'] as const;
export type FramingName = (typeof FRAMING_NAMES)[number];
/** A framing, or `message` for transports that delimit messages themselves (WebSocket). */
export type CodecName = FramingName | 'message';

export interface FramingOptions {
  /**
   * Longest accepted line in bytes, counting everything before the `\n` (a `\r` included); a longer
   * line fails with `LineTooLongError` as soon as it passes the limit, before its end arrives.
   * @default 65536 (64 KiB)
   */
  maxLine?: number;
  /**
   * Largest accepted length-prefixed frame in bytes; a larger header fails with
   * `FrameTooLargeError` before anything is allocated for the body.
   * @default 1048576 (1 MiB)
   */
  maxFrame?: number;
}

/** Turns a byte stream into messages. One decoder per connection: it keeps the partial message. */
export interface Decoder {
  /**
   * Feed the next chunk; returns the messages it completed, in order (often none).
   * A returned message may be a view into `chunk`: copy it before keeping it long-term.
   * @throws FrameTooLargeError | LineTooLongError when a limit is passed; the stream is then unusable.
   *   The error's `decoded` holds the messages the chunk completed before the failure.
   */
  push(chunk: Buffer): Buffer[];
  /**
   * The stream ended: returns a last unterminated message where the framing allows one (`line`).
   * @throws TruncatedFrameError when the stream stopped inside a length-prefixed frame.
   */
  end(): Buffer[];
  /** Bytes held for a message not yet complete. */
  readonly pendingBytes: number;
  /**
   * Whether the chunk of the last push() was exactly the frames of the messages it returned, each
   * message a view of its frame's body: nothing carried over from an earlier chunk, nothing left
   * for a later one. The chunk is then, byte for byte, `encodeAll()` of those messages, and stays
   * so while they are changed only in place (a frame's header depends on its body's length alone):
   * replies that are their own requests can be written back as the chunk itself. Left out by a
   * framing whose encoding is not that simple (`line` turns `\r\n` into `\n`).
   */
  readonly framedChunk?: boolean;
}

export interface Codec {
  readonly name: CodecName;
  /** Whether message boundaries survive the trip (`raw` does not: a message is whatever a read returns). */
  readonly preservesBoundaries: boolean;
  createDecoder(): Decoder;
  /** The bytes that carry `message` on the wire. */
  encode(message: Buffer): Buffer;
  /**
   * The bytes that carry all of `messages`, in order, in one buffer: one allocation and one copy per
   * message, where encoding each and concatenating would allocate and copy twice.
   */
  encodeAll(messages: readonly Buffer[]): Buffer;
}

export const EMPTY = Buffer.alloc(0);

/** The messages a failed push() completed before its error (DESIGN §7: nothing is lost). */
export function decodedBefore(error: unknown): Buffer[] {
  return (error as { decoded?: Buffer[] } | null)?.decoded ?? [];
}
