import { randomBytes } from 'node:crypto';
import type {
  Backplane,
  BackplaneEvents,
  BackplaneStats,
  HubBackplane,
  NickOwner,
  RoomLine,
  RoomSnapshot,
} from './backplane.js';

/** A new epoch's name: random, so a room recreated after a restart never reuses one. */
export function newEpoch(): string {
  return randomBytes(4).toString('hex');
}

/**
 * One process, no other node (the default, `npm start`): numbering and nicks are maps, every
 * call answers at once, and a line is delivered inside `publish` — the hub's hot path stays
 * synchronous. A room's numbers and epoch live while it is watched: the hub drops an empty room
 * (the lobby excepted), and a room made again starts a new epoch.
 */
export class MemoryBackplane implements Backplane {
  readonly kind = 'memory';
  readonly description = 'memory (this process)';
  readonly up = true;
  private readonly hubs = new Map<string, MemoryHubBackplane>();

  stats(): BackplaneStats {
    return {
      kind: this.kind,
      description: this.description,
      up: true,
      gapFills: 0,
      linesFilled: 0,
      lost: 0,
      timeouts: 0,
      refused: 0,
      pending: 0,
      lagMs: 0,
    };
  }

  hub(name = 'default'): HubBackplane {
    let hub = this.hubs.get(name);
    if (hub === undefined) {
      hub = new MemoryHubBackplane();
      this.hubs.set(name, hub);
    }
    return hub;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class MemoryHubBackplane implements HubBackplane {
  readonly node = 'local';
  readonly up = true;
  readonly shared = false;
  readonly congested = false;
  readonly presenceTimeoutMs = 0;
  readonly nickTtlMs = 0;
  private events: BackplaneEvents | undefined;
  private readonly rooms = new Map<string, { epoch: string; top: number }>();
  private readonly nicks = new Map<string, NickOwner>();
  private guests = 0;

  open(events: BackplaneEvents): Promise<void> {
    this.events = events;
    return Promise.resolve();
  }

  publish(room: string, line: RoomLine): void {
    const state = this.rooms.get(room);
    if (state === undefined || this.events === undefined) {
      throw new Error(`memory backplane: room ${room} is not watched (a hub bug)`);
    }
    this.events.line(room, { ...line, epoch: state.epoch, seq: ++state.top });
  }

  watch(room: string): RoomSnapshot {
    let state = this.rooms.get(room);
    if (state === undefined) {
      state = { epoch: newEpoch(), top: 0 };
      this.rooms.set(room, state);
    }
    return { epoch: state.epoch, top: state.top, lines: [] };
  }

  unwatch(room: string): void {
    this.rooms.delete(room);
  }

  raise(): void {
    // One process: a room's numbers never go back within an epoch (a restart is a new epoch).
  }

  broadcast(): void {
    // No other node to tell.
  }

  nextGuest(): number {
    return ++this.guests;
  }

  claimNick(key: string, owner: NickOwner): boolean {
    const holder = this.nicks.get(key);
    if (holder !== undefined && (holder.node !== owner.node || holder.member !== owner.member)) return false;
    this.nicks.set(key, owner);
    return true;
  }

  releaseNick(key: string, owner: NickOwner): void {
    const holder = this.nicks.get(key);
    if (holder?.node === owner.node && holder.member === owner.member) this.nicks.delete(key);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
