import { type Codec, type Decoder } from '../framing/codec.js';

class MessageDecoder implements Decoder {
  readonly pendingBytes = 0;
  push(message: Buffer): Buffer[] {
    return [message];
  }
  end(): Buffer[] {
    return [];
  }
}

/**
 * The "codec" of a message transport (DESIGN §2: over WebSocket one WS message = one message): a
 * message is encoded as itself, and every chunk the connection delivers is one whole message, an
 * empty one included. Services and the chat hub encode through it as through any codec.
 */
export const messageCodec: Codec = {
  name: 'message',
  preservesBoundaries: true,
  createDecoder: () => new MessageDecoder(),
  encode: (message) => message,
  encodeAll: (messages) => {
    // Never called for message connections (each reply goes out as its own message); kept total.
    return messages.length === 1 ? messages[0]! : Buffer.concat(messages);
  },
};
