import type { NickOwner, NodeMessage, SequencedLine } from './backplane.js';
import {
  isBatch,
  Outbox,
  type Batch,
  type PrimaryMessage,
  type ReplyValues,
  type WorkerRequest,
} from './cluster-messages.js';
import { newEpoch } from './memory.js';
import { RoomLog } from './room-log.js';

/** One worker, as the primary reaches it (node:cluster's Worker in production, a function in tests). */
export interface WorkerLink {
  /** For the log: `worker 2 (pid 1234)`. */
  readonly name: string;
  send(message: PrimaryMessage | Batch<PrimaryMessage>): void;
}

export interface ClusterPrimaryOptions {
  /**
   * Rooms kept with their numbers and history while no worker watches them (the lobby: every
   * worker watches it, and a crashed worker's members come back to it and resume).
   * @default none
   */
  readonly permanentRooms?: readonly string[];
}

/** A room as the primary keeps it: its numbers, its last lines, and who carries it. */
interface PrimaryRoom {
  readonly log: RoomLog;
  readonly watchers: Set<WorkerLink>;
}

/** One hub (`?hub=NAME`) across the workers. */
class PrimaryHub {
  readonly rooms = new Map<string, PrimaryRoom>();
  readonly nicks = new Map<string, NickOwner>();
  /** The workers carrying the hub, and each one's node id (both ways). */
  readonly nodes = new Map<WorkerLink, string>();
  readonly links = new Map<string, WorkerLink>();
  guests = 0;

  constructor(
    readonly name: string,
    readonly historyLength: number,
  ) {}
}

type Request = WorkerRequest & { readonly id: number };

/**
 * The primary's half of the cluster backplane (DESIGN §8, `--workers N` without `--backplane`):
 * what `memory` is for one process, for the workers of one machine. Every room line of every
 * worker is numbered here, synchronously, in the order the workers' messages arrive; the line goes
 * to every worker watching the room (its sender included), on IPC channels that keep order — so
 * every worker sees one order, numbered without gaps. Nicks and guest numbers are maps here, so a
 * claim is decided once for the whole machine.
 *
 * The primary knows at once when a worker dies (node:cluster's `exit`): `detach` frees its nicks
 * and tells the other workers `bye` for it, so its members leave `/who` and their nicks are free
 * again immediately — no presence timeout or nick TTL as with Redis.
 *
 * A room lives while some worker watches it (as with `memory`: an empty room starts a new epoch
 * when it is made again), except the `permanentRooms` (the lobby), which keep their epoch and
 * history for as long as the primary runs: a restarted worker's members resume from them.
 */
export class ClusterPrimary {
  private readonly hubs = new Map<string, PrimaryHub>();
  private readonly permanent: ReadonlySet<string>;
  /** Lines numbered; requests refused because they reached the primary after their deadline. */
  readonly counts = { lines: 0, expired: 0 };
  private readonly outboxes = new Map<WorkerLink, Outbox<PrimaryMessage>>();

  constructor(options: ClusterPrimaryOptions = {}) {
    this.permanent = new Set(options.permanentRooms ?? []);
  }

  /** Rooms the primary holds now, over every hub. */
  get roomCount(): number {
    let n = 0;
    for (const hub of this.hubs.values()) n += hub.rooms.size;
    return n;
  }

  /** One message (or a batch) from a worker, acted on at once, in arrival order. */
  receive(from: WorkerLink, message: WorkerRequest | Batch<WorkerRequest>): void {
    if (!isBatch(message)) return this.handle(from, message);
    for (const request of message.messages) this.handle(from, request);
  }

  private handle(from: WorkerLink, request: WorkerRequest): void {
    if (request.op === 'open') return this.open(from, request);
    if (request.op === 'ping') return this.reply(from, request.id, null);
    const hub = this.hubs.get(request.hub);
    if (hub === undefined || !hub.nodes.has(from)) {
      if ('id' in request)
        this.fail(from, request.id, `hub ${request.hub} is not open on ${from.name} (a bug)`);
      return;
    }
    if ('dl' in request && request.dl < Date.now()) {
      // The worker has given up on it (or is about to): acting now would contradict what it said.
      this.counts.expired++;
      return this.fail(from, request.id, 'the cluster primary answered too late');
    }
    switch (request.op) {
      case 'publish':
        return this.publish(from, hub, request);
      case 'watch':
        return this.watch(from, hub, request);
      case 'unwatch':
        return this.unwatch(from, hub, request.room);
      case 'broadcast':
        if (request.message.type === 'private' && !hub.links.has(request.message.to.node)) {
          // Its worker died after the sender looked it up: say so rather than echo a message nobody got.
          return this.fail(from, request.id, `${request.message.to.node} has gone`);
        }
        this.relay(from, hub, request.message);
        return this.reply(from, request.id, null);
      case 'guest':
        return this.reply<'guest'>(from, request.id, ++hub.guests);
      case 'claim':
        return this.reply<'claim'>(
          from,
          request.id,
          claim(hub, request.key, { node: hub.nodes.get(from)!, member: request.member }),
        );
      case 'release': {
        const holder = hub.nicks.get(request.key);
        if (holder !== undefined && holder.node === hub.nodes.get(from) && holder.member === request.member) {
          hub.nicks.delete(request.key);
        }
        return;
      }
      case 'close':
        this.leave(from, hub);
        return this.reply(from, request.id, null);
    }
  }

  /** A worker is gone (it died, or stopped): free what it held, and tell the others at once. */
  detach(worker: WorkerLink): void {
    this.outboxes.delete(worker);
    for (const hub of this.hubs.values()) if (hub.nodes.has(worker)) this.leave(worker, hub);
  }

  private post(to: WorkerLink, message: PrimaryMessage): void {
    let outbox = this.outboxes.get(to);
    if (outbox === undefined) {
      outbox = new Outbox((m) => to.send(m));
      this.outboxes.set(to, outbox);
    }
    outbox.post(message);
  }

  private reply<K extends keyof ReplyValues>(to: WorkerLink, id: number, value: ReplyValues[K]): void {
    this.post(to, { sb: 'bp', op: 'reply', id, value });
  }

  private fail(to: WorkerLink, id: number, error: string): void {
    this.post(to, { sb: 'bp', op: 'reply', id, error });
  }

  private open(from: WorkerLink, request: Extract<WorkerRequest, { op: 'open' }>): void {
    let hub = this.hubs.get(request.hub);
    if (hub === undefined) {
      hub = new PrimaryHub(request.hub, request.history);
      this.hubs.set(request.hub, hub);
    }
    // A worker that opens the hub again (after a close) is the same worker with the same node id.
    hub.nodes.set(from, request.node);
    hub.links.set(request.node, from);
    this.reply(from, request.id, null);
  }

  private publish(from: WorkerLink, hub: PrimaryHub, request: Request & { op: 'publish' }): void {
    const room = hub.rooms.get(request.room);
    if (room?.watchers.has(from) !== true) {
      return this.fail(from, request.id, `room ${request.room} is not watched by ${from.name} (a bug)`);
    }
    // DESIGN §8: sequence first, deliver after — one number per line, here and nowhere else.
    const line: SequencedLine = { ...request.line, epoch: room.log.epoch, seq: room.log.top + 1 };
    room.log.add(line);
    this.counts.lines++;
    for (const watcher of room.watchers) {
      this.post(
        watcher,
        watcher === from
          ? { sb: 'bp', op: 'line', hub: request.hub, room: request.room, line, id: request.id }
          : { sb: 'bp', op: 'line', hub: request.hub, room: request.room, line },
      );
    }
  }

  private watch(from: WorkerLink, hub: PrimaryHub, request: Request & { op: 'watch' }): void {
    let room = hub.rooms.get(request.room);
    if (room === undefined) {
      room = {
        log: new RoomLog(hub.historyLength, { epoch: newEpoch(), top: 0, lines: [] }),
        watchers: new Set(),
      };
      hub.rooms.set(request.room, room);
    }
    room.watchers.add(from);
    // After this reply, every line of the room reaches the worker: the channel keeps order.
    this.reply<'watch'>(from, request.id, {
      epoch: room.log.epoch,
      top: room.log.top,
      lines: room.log.last(hub.historyLength),
    });
  }

  private unwatch(from: WorkerLink, hub: PrimaryHub, name: string): void {
    const room = hub.rooms.get(name);
    if (room === undefined) return;
    room.watchers.delete(from);
    if (room.watchers.size === 0 && !this.permanent.has(name)) hub.rooms.delete(name);
  }

  /** Presence and private messages go to the other workers of the hub (a private one to its target's). */
  private relay(from: WorkerLink, hub: PrimaryHub, message: NodeMessage): void {
    if (message.type === 'private') {
      const to = hub.links.get(message.to.node);
      if (to !== undefined && to !== from) this.post(to, { sb: 'bp', op: 'node', hub: hub.name, message });
      return;
    }
    for (const worker of hub.nodes.keys()) {
      if (worker !== from) this.post(worker, { sb: 'bp', op: 'node', hub: hub.name, message });
    }
  }

  private leave(worker: WorkerLink, hub: PrimaryHub): void {
    const node = hub.nodes.get(worker);
    if (node === undefined) return;
    for (const room of hub.rooms.keys()) this.unwatch(worker, hub, room);
    for (const [key, holder] of hub.nicks) if (holder.node === node) hub.nicks.delete(key);
    hub.nodes.delete(worker);
    if (hub.links.get(node) === worker) hub.links.delete(node);
    // Its members leave every other worker's /who now, not at a presence timeout.
    for (const other of hub.nodes.keys())
      this.post(other, { sb: 'bp', op: 'node', hub: hub.name, message: { type: 'bye', node } });
  }
}

function claim(hub: PrimaryHub, key: string, owner: NickOwner): boolean {
  const holder = hub.nicks.get(key);
  if (holder !== undefined && (holder.node !== owner.node || holder.member !== owner.member)) return false;
  hub.nicks.set(key, owner);
  return true;
}
