/**
 * What a client needs from a transport, stream or datagram alike: send encoded bytes, hear decoded
 * messages, learn of the end. A Client owns one link at a time and swaps it on reconnect.
 */
export interface LinkEvents {
  message(message: Buffer): void;
  /** The link is gone; `error` is set when it did not end cleanly. */
  close(error: Error | undefined): void;
  /** The outbound buffer has room again. */
  drain(): void;
}

export interface Link {
  readonly peer: string;
  /** Send one message; false when the outbound buffer is past its high-water mark. */
  send(message: Buffer): boolean;
  /** Stop sending (half-close); replies may still arrive. */
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
}
