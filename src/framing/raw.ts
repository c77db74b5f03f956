import { EMPTY, type Codec, type Decoder } from './codec.js';

class RawDecoder implements Decoder {
  readonly pendingBytes = 0;
  push(chunk: Buffer): Buffer[] {
    return chunk.length === 0 ? [] : [chunk];
  }
  end(): Buffer[] {
    return [];
  }
}

/** `raw`: the byte stream as it comes; a message is whatever one read returns. Binary-safe. */
export const rawCodec: Codec = {
  name: 'raw',
  preservesBoundaries: false,
  createDecoder: () => new RawDecoder(),
  encode: (message) => (message.length === 0 ? EMPTY : message),
  encodeAll: (messages) => (messages.length === 1 ? messages[0]! : Buffer.concat(messages)),
};
