import type { Session } from '../services/service.js';
import { FloodLimiter } from './flood-limiter.js';
import type { ChatListener } from './listener.js';
import { renderingOf, type Rendering } from './rendering.js';
import type { Room } from './room.js';
import type { RoomBatch } from './room-batch.js';

/** Frames [from, to) of a room batch, owed to one member. */
interface BatchRun {
  readonly batch: RoomBatch;
  readonly from: number;
  readonly to: number;
}

/**
 * One person in the hub: a session, a nick, the room it is in, and its outbox — what waits to be
 * written to it, in order: runs of its room's batches and frames for it alone (notices, private
 * messages, history). Room lines are not copied into each outbox as they come: a member only notes
 * where it stands in the room's batch, and takes its run when something personal comes between,
 * when it leaves, or when the batch is delivered.
 */
export class Member {
  room: Room | undefined;
  /** Set once the member is leaving: nothing more is queued for it. */
  gone = false;
  /** Set once the hub has decided to disconnect it (too slow); it leaves right after. */
  dropping = false;
  readonly flood: FloodLimiter | undefined;
  /** Lines it has sent: the first one is checked for another protocol (HTTP, TLS). */
  linesIn = 0;
  /** Bytes handed to its session; less what the session still buffers, what its socket took. */
  bytesOut = 0;
  /** How room lines are written to it: its codec, tagged with their numbers or not (`/seq`). */
  rendering: Rendering;
  /**
   * An operation that waits on another node (a nick claim, a room's history): the member's next
   * line waits for it, so its lines keep their order.
   */
  busy: Promise<void> | undefined;
  private outbox: Array<Buffer | BatchRun> = [];
  /** The batches of the last write: their senders are held back if this member is congested. */
  readonly written: RoomBatch[] = [];
  /** The room batch `cursor` counts in; in any other batch of its room, it starts at 0. */
  private batch: RoomBatch | undefined;
  private cursor = 0;

  constructor(
    readonly session: Session,
    public nick: string,
    /** The listener it came through, whose limits it has. */
    readonly listener: ChatListener,
  ) {
    this.rendering = renderingOf(session.codec, false);
    const { floodRate, floodBurst } = listener.options;
    this.flood = floodRate > 0 ? new FloodLimiter(floodRate, floodBurst) : undefined;
  }

  get hasOutput(): boolean {
    return this.outbox.length > 0;
  }

  /** Queue a frame for this member alone, after every room line it has been sent so far. */
  push(frame: Buffer): void {
    this.takeRun();
    this.outbox.push(frame);
  }

  /**
   * Take this member's run of its room's current batch into the outbox, up to `end`; it then stands
   * at `next` (end + 1 skips the member's own line). Joining a room mid-turn, it stands at the end.
   */
  takeRun(end?: number, next?: number): void {
    const batch = this.room?.batches.get(this.rendering);
    if (batch === undefined) return;
    const from = this.batch === batch ? this.cursor : 0;
    const to = end ?? batch.length;
    if (to > from) this.outbox.push({ batch, from, to });
    this.batch = batch;
    this.cursor = next ?? to;
  }

  /** Entering a room: room lines broadcast before this moment are not its to receive. */
  standAtEnd(): void {
    const batch = this.room?.batches.get(this.rendering);
    this.batch = batch;
    this.cursor = batch?.length ?? 0;
  }

  /** Hand the outbox over for writing: Buffers, views of shared batches included. */
  takeOutbox(): Buffer[] {
    const frames: Buffer[] = [];
    this.written.length = 0;
    for (const item of this.outbox) {
      if (Buffer.isBuffer(item)) {
        frames.push(item);
      } else {
        const batch = item.batch;
        if (batch.joinable) frames.push(batch.view(item.from, item.to));
        else for (let i = item.from; i < item.to; i++) frames.push(batch.frames[i]!);
        this.written.push(batch);
      }
    }
    this.outbox = [];
    return frames;
  }

  /** Its id within this node: the session's, unique in the process. */
  get id(): number {
    return this.session.id;
  }

  /** Forget what was queued: the member is gone. */
  clearOutbox(): void {
    this.outbox = [];
    this.batch = undefined;
  }
}
