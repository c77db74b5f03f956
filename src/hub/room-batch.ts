import type { Codec } from '../framing/codec.js';
import type { Member } from './member.js';

/**
 * The frames a room broadcasts to the members of one codec during one event-loop turn. They are
 * joined into one Buffer once, when the turn's delivery begins, and every member gets a view of
 * it: a turn costs one copy and one write per member, however many lines it carried (DESIGN §6;
 * NATS flushes a subscriber's pending buffer the same way).
 */
export class RoomBatch {
  readonly frames: Buffer[] = [];
  bytes = 0;
  /** Who sent the lines of this batch: the publishers a congested recipient holds back. */
  readonly senders = new Set<Member>();
  private joined: Buffer | undefined;
  /** joined[i] starts at offsets[i]; offsets[frames.length] is its end. */
  private offsets: number[] = [];

  /**
   * Whether the frames may be joined into one buffer. A stream's bytes carry their own framing;
   * a message transport (WebSocket) sends each buffer as one message, so its lines stay apart
   * (DESIGN §6: one line per text message).
   */
  readonly joinable: boolean;

  constructor(readonly codec: Codec) {
    this.joinable = codec.name !== 'message';
  }

  get length(): number {
    return this.frames.length;
  }

  add(frame: Buffer, sender: Member | undefined): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    if (sender !== undefined) this.senders.add(sender);
  }

  /** Frames [from, to) as one Buffer: a view of the joined batch, which is built once. */
  view(from: number, to: number): Buffer {
    if (to - from === 1) return this.frames[from]!;
    // Rebuilt only if frames came after a view was taken (a member that left mid-turn): rare.
    if (this.joined === undefined || this.offsets.length <= to) this.join();
    return this.joined!.subarray(this.offsets[from], this.offsets[to]);
  }

  private join(): void {
    this.joined = Buffer.concat(this.frames, this.bytes);
    const offsets = new Array<number>(this.frames.length + 1);
    let at = 0;
    for (let i = 0; i < this.frames.length; i++) {
      offsets[i] = at;
      at += this.frames[i]!.length;
    }
    offsets[this.frames.length] = at;
    this.offsets = offsets;
  }
}
