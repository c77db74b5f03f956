import type { Codec } from '../framing/codec.js';
import { History } from './history.js';
import type { Member } from './member.js';
import { RoomBatch } from './room-batch.js';

export class Room {
  readonly members = new Set<Member>();
  readonly history: History;
  /** How many members of each codec: a line is encoded once per codec present, not per member. */
  readonly codecs = new Map<Codec, number>();
  /** This turn's broadcasts, per codec; emptied when they are delivered. */
  readonly batches = new Map<Codec, RoomBatch>();

  constructor(
    readonly name: string,
    historySize: number,
  ) {
    this.history = new History(historySize);
  }

  add(member: Member): void {
    this.members.add(member);
    const codec = member.session.codec;
    this.codecs.set(codec, (this.codecs.get(codec) ?? 0) + 1);
  }

  delete(member: Member): void {
    if (!this.members.delete(member)) return;
    const codec = member.session.codec;
    const n = this.codecs.get(codec)! - 1;
    if (n === 0) this.codecs.delete(codec);
    else this.codecs.set(codec, n);
  }

  /** The batch lines go into this turn for `codec`, started if there is none yet. */
  openBatch(codec: Codec): RoomBatch {
    let batch = this.batches.get(codec);
    if (batch === undefined) {
      batch = new RoomBatch(codec);
      this.batches.set(codec, batch);
    }
    return batch;
  }
}
