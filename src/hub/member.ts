import type { Session } from '../services/service.js';
import { FloodLimiter } from './flood-limiter.js';
import type { ChatListener } from './listener.js';
import type { Room } from './room.js';

/** One person in the hub: a session, a nick, the room it is in, and what waits to be written to it. */
export class Member {
  room: Room | undefined;
  /** Frames queued this tick; written together by the hub's flush. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** Set once the member is leaving: nothing more is queued for it. */
  gone = false;
  /** Set once the hub has decided to disconnect it (too slow, flooding); it leaves right after. */
  dropping = false;
  readonly flood: FloodLimiter | undefined;

  constructor(
    readonly session: Session,
    public nick: string,
    /** The listener it came through, whose limits it has. */
    readonly listener: ChatListener,
  ) {
    const { floodRate, floodBurst } = listener.options;
    this.flood = floodRate > 0 ? new FloodLimiter(floodRate, floodBurst) : undefined;
  }

  /** Bytes waiting for this member: ours, plus what the socket has not handed to the kernel. */
  get queuedBytes(): number {
    return this.pendingBytes + this.session.bufferedBytes;
  }
}
