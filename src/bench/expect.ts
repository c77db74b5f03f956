import type { FramingName } from '../framing/codec.js';
import { upperAsciiBytes, upperText } from '../services/upper.js';
import type { ExpectKind } from './options.js';

/**
 * The reply a correct server sends for `payload`: exactly what the server's own code computes
 * (`upperAsciiBytes` for raw streams, `upperText` for framed messages — DESIGN §4), or the payload
 * itself for `echo`. `none` has no expectation: `undefined`.
 */
export function expectedReply(kind: ExpectKind, framing: FramingName, payload: Buffer): Buffer | undefined {
  switch (kind) {
    case 'upper':
      return framing === 'raw' ? upperAsciiBytes(payload) : upperText(payload);
    case 'echo':
      return payload;
    case 'none':
      return undefined;
  }
}

/** A short printable excerpt of bytes, for error lines. */
export function excerpt(bytes: Buffer, max = 24): string {
  const text = bytes
    .subarray(0, max)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return bytes.length > max ? `'${text}…' (${bytes.length} bytes)` : `'${text}' (${bytes.length} bytes)`;
}
