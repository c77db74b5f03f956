import type { RoomLog } from '../backplane/room-log.js';
import type { Member } from './member.js';
import type { Rendering } from './rendering.js';
import { RoomBatch } from './room-batch.js';

/** A room as this node holds it: its local members, its log, this turn's batches. */
export class Room {
  readonly members = new Set<Member>();
  /** How many members of each rendering: a line is encoded once per rendering, not per member. */
  readonly renderings = new Map<Rendering, number>();
  /** This turn's broadcasts, per rendering; emptied when they are delivered. */
  readonly batches = new Map<Rendering, RoomBatch>();
  /** Set once the backplane carries the room to this node (its history is known). */
  log: RoomLog | undefined;
  /** While the backplane is fetching the room's history: joiners wait for it. */
  loading: Promise<void> | undefined;

  constructor(readonly name: string) {}

  add(member: Member): void {
    this.members.add(member);
    const r = member.rendering;
    this.renderings.set(r, (this.renderings.get(r) ?? 0) + 1);
  }

  delete(member: Member): void {
    if (!this.members.delete(member)) return;
    const r = member.rendering;
    const n = this.renderings.get(r)! - 1;
    if (n === 0) this.renderings.delete(r);
    else this.renderings.set(r, n);
  }

  /** The batch lines go into this turn for `rendering`, started if there is none yet. */
  openBatch(rendering: Rendering): RoomBatch {
    let batch = this.batches.get(rendering);
    if (batch === undefined) {
      batch = new RoomBatch(rendering.codec);
      this.batches.set(rendering, batch);
    }
    return batch;
  }
}
