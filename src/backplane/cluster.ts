import cluster from 'node:cluster';
import { BackplaneUnavailableError } from '../errors.js';
import type {
  Backplane,
  BackplaneEvents,
  BackplaneStats,
  HubBackplane,
  HubBackplaneOptions,
  NickOwner,
  NodeMessage,
  RoomLine,
  RoomSnapshot,
  SequencedLine,
} from './backplane.js';
import {
  isBackplaneMessage,
  isBatch,
  Outbox,
  type Batch,
  type PrimaryMessage,
  type ReplyValues,
  type WorkerRequest,
} from './cluster-messages.js';

/** 5 s: the longest a request to the primary may wait for its answer before the worker gives up on it. */
export const DEFAULT_CLUSTER_TIMEOUT_MS = 5_000;
/** Lines awaiting their numbers, per worker, before senders wait for theirs before the next. */
export const DEFAULT_CLUSTER_MAX_PENDING = 1_000;
/**
 * 15 s: a worker not heard from this long is taken for dead by the others. A worker that dies is
 * reported by the primary at once (`bye`); this only catches one that hangs.
 */
export const DEFAULT_CLUSTER_PRESENCE_TIMEOUT_MS = 15_000;
/** What an answer may take in transit after its deadline, before the worker stops waiting. */
const TRANSIT_GRACE_MS = 1_000;
/** How often unanswered requests are checked against their deadlines. */
const SWEEP_MS = 250;

/** The description in errors and the banner. */
const PRIMARY = 'cluster (the --workers primary)';

/** The worker's end of the IPC channel to the primary: node:cluster's by default, a pair in tests. */
export interface ClusterChannel {
  readonly connected: boolean;
  send(message: WorkerRequest | Batch<WorkerRequest>): void;
  /** Receive every message from the primary; the returned function stops it. */
  listen(onMessage: (message: unknown) => void, onDisconnect: () => void): () => void;
}

/** This process's IPC channel to its cluster primary. */
export function workerChannel(): ClusterChannel {
  return {
    get connected() {
      return process.connected === true && process.send !== undefined;
    },
    send(message) {
      process.send!(message);
    },
    listen(onMessage, onDisconnect) {
      process.on('message', onMessage);
      process.on('disconnect', onDisconnect);
      return () => {
        process.off('message', onMessage);
        process.off('disconnect', onDisconnect);
      };
    },
  };
}

export interface ClusterBackplaneOptions {
  /** This worker's node id. @default `worker-<cluster worker id>:<pid>` */
  readonly node?: string;
  /** ms a request may wait for the primary's answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Lines awaiting numbers before senders wait for theirs. @default 1000 */
  readonly maxPending?: number;
  /** ms of silence after which another worker is taken for dead. @default 15000 */
  readonly presenceTimeoutMs?: number;
  /** @default this process's channel to its cluster primary */
  readonly channel?: ClusterChannel;
}

interface Pending {
  /** When the worker stops waiting (the request's deadline plus transit). */
  readonly giveUpAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly publish: boolean;
}

/** Requests as built by the hubs, before the channel's id and deadline are added. */
type Unstamped<R> = R extends unknown ? Omit<R, 'sb' | 'id' | 'dl'> : never;
type AnsweredRequest = Extract<WorkerRequest, { id: number }>;

/**
 * A worker's backplane under `--workers N` without `--backplane` (DESIGN §8): every call of the hub
 * becomes a request to the primary over node:cluster's IPC channel (ClusterPrimary answers it), and
 * the primary pushes room lines and the other workers' node messages back. The primary numbers
 * lines synchronously and the channel keeps order, so lines arrive in order; the worker still
 * checks each room's numbers and tells the hub (`lost`) rather than go on silently past a gap.
 *
 * A request unanswered within `timeoutMs` fails with BackplaneUnavailableError (its sender is told
 * its line was not sent); the primary refuses a request that reaches it after that deadline, so a
 * line reported "not sent" is never numbered later. While the primary does not answer, lines are
 * refused at once and a ping asks every quarter second until it answers again.
 */
export class ClusterBackplane implements Backplane {
  readonly kind = 'cluster';
  readonly description = PRIMARY;
  readonly node: string;
  readonly timeoutMs: number;
  readonly maxPending: number;
  readonly presenceTimeoutMs: number;
  private readonly channel: ClusterChannel;
  /** What goes to the primary, one IPC message per run of code. */
  private readonly outbox: Outbox<WorkerRequest>;
  private readonly hubs = new Map<string, ClusterHubBackplane>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopListening: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private answering = true;
  private closed = false;
  /** Lines sent to the primary and not numbered yet. */
  publishing = 0;
  /** For the log and the metrics: requests that timed out, lines refused, gaps found. */
  readonly counts = { timeouts: 0, refused: 0, lost: 0 };

  constructor(options: ClusterBackplaneOptions = {}) {
    this.node = options.node ?? `worker-${cluster.worker?.id ?? 0}:${process.pid}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLUSTER_TIMEOUT_MS;
    this.maxPending = options.maxPending ?? DEFAULT_CLUSTER_MAX_PENDING;
    this.presenceTimeoutMs = options.presenceTimeoutMs ?? DEFAULT_CLUSTER_PRESENCE_TIMEOUT_MS;
    this.channel = options.channel ?? workerChannel();
    this.outbox = new Outbox((message) => {
      if (this.channel.connected) this.channel.send(message);
    });
  }

  get up(): boolean {
    return this.answering && !this.closed && this.channel.connected;
  }

  start(): Promise<void> {
    if (!this.channel.connected) {
      return Promise.reject(
        new BackplaneUnavailableError(
          PRIMARY,
          'this process is not a cluster worker; run serve with --workers N',
        ),
      );
    }
    this.stopListening ??= this.channel.listen(
      (message) => {
        if (!isBackplaneMessage(message)) return;
        const received = message as PrimaryMessage | Batch<PrimaryMessage>;
        if (!isBatch(received)) return this.receive(received);
        for (const one of received.messages) this.receive(one);
      },
      () => this.lost('the primary went away'),
    );
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    return Promise.resolve();
  }

  stats(): BackplaneStats {
    return {
      kind: this.kind,
      description: this.description,
      up: this.up,
      gapFills: 0,
      linesFilled: 0,
      lost: this.counts.lost,
      timeouts: this.counts.timeouts,
      refused: this.counts.refused,
      pending: this.publishing,
      lagMs: 0,
    };
  }

  hub(name: string, options: HubBackplaneOptions): HubBackplane {
    let hub = this.hubs.get(name);
    if (hub === undefined) {
      hub = new ClusterHubBackplane(this, name, options);
      this.hubs.set(name, hub);
    }
    return hub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.hubs.values()].map((h) => h.close()));
    this.closed = true;
    this.hubs.clear();
    clearInterval(this.sweeper);
    this.stopListening?.();
    this.stopListening = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new BackplaneUnavailableError(PRIMARY, 'closed'));
    }
  }

  /** Why a request cannot be sent now, or undefined when it can. */
  refusal(): BackplaneUnavailableError | undefined {
    if (this.up) return undefined;
    this.counts.refused++;
    const why = this.closed
      ? 'closed'
      : !this.channel.connected
        ? 'the primary went away'
        : `no answer within ${this.timeoutMs} ms`;
    return new BackplaneUnavailableError(PRIMARY, why);
  }

  /** Send a request the primary answers; rejects with BackplaneUnavailableError if it cannot or does not. */
  request<K extends AnsweredRequest['op'] & keyof ReplyValues>(
    message: { readonly op: K } & Unstamped<Extract<AnsweredRequest, { op: K }>>,
  ): Promise<ReplyValues[K]> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.ask(message) as Promise<ReplyValues[K]>;
  }

  /** Send a request nobody answers (unwatch, release); dropped when the primary is away. */
  tell(message: Unstamped<Exclude<WorkerRequest, { id: number }>>): void {
    if (this.channel.connected && !this.closed) this.outbox.post({ sb: 'bp', ...message });
  }

  private ask(message: Unstamped<AnsweredRequest>): Promise<unknown> {
    const id = this.nextId++;
    const dl = Date.now() + this.timeoutMs;
    const publish = message.op === 'publish';
    if (publish) this.publishing++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { giveUpAt: dl + TRANSIT_GRACE_MS, resolve, reject, publish });
      this.outbox.post({ sb: 'bp', ...message, id, dl } as WorkerRequest);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (p.publish) this.publishing--;
    return p;
  }

  private receive(message: PrimaryMessage): void {
    if (!this.answering) {
      this.answering = true;
      for (const hub of this.hubs.values()) hub.events?.state(true, 'the primary answers again');
    }
    switch (message.op) {
      case 'reply': {
        const p = this.settle(message.id);
        if (p === undefined) return; // given up on already
        if ('error' in message) p.reject(new BackplaneUnavailableError(PRIMARY, message.error));
        else p.resolve(message.value);
        return;
      }
      case 'line':
        if (message.id !== undefined) this.settle(message.id)?.resolve(null);
        this.hubs.get(message.hub)?.receiveLine(message.room, message.line);
        return;
      case 'node':
        this.hubs.get(message.hub)?.events?.node(message.message);
        return;
    }
  }

  /** Requests past their deadline fail; while the primary is silent, a ping asks whether it is back. */
  private sweep(): void {
    const now = Date.now();
    let timedOut = 0;
    // Every request has the same timeout: the oldest come first, stop at the first still in time.
    for (const [id, p] of this.pending) {
      if (p.giveUpAt > now) break;
      this.settle(id);
      timedOut++;
      p.reject(new BackplaneUnavailableError(PRIMARY, `no answer within ${this.timeoutMs} ms`));
    }
    if (timedOut > 0) {
      this.counts.timeouts += timedOut;
      if (this.answering) {
        this.answering = false;
        for (const hub of this.hubs.values())
          hub.events?.state(false, `no answer within ${this.timeoutMs} ms`);
      }
    }
    if (!this.answering && this.channel.connected && !this.closed) {
      this.ask({ op: 'ping' }).catch(() => undefined);
    }
  }

  private lost(why: string): void {
    this.answering = false;
    for (const [id, p] of this.pending) {
      this.settle(id);
      p.reject(new BackplaneUnavailableError(PRIMARY, why));
    }
    for (const hub of this.hubs.values()) hub.events?.state(false, why);
  }

  /** A gap in a room's numbers: counted, then the hub says so to the room. */
  noteLost(count: number): void {
    this.counts.lost += count;
  }
}

/** A room this worker carries. */
interface WatchedRoom {
  epoch: string;
  last: number;
  /** False until the hub has the snapshot: lines that come before are held in `early`. */
  ready: boolean;
  early: SequencedLine[];
}

class ClusterHubBackplane implements HubBackplane {
  readonly shared = true;
  /** A worker that dies has its nicks freed by the primary at once. */
  readonly nickTtlMs = 0;
  events: BackplaneEvents | undefined;
  private readonly rooms = new Map<string, WatchedRoom>();
  private closed = false;

  constructor(
    private readonly plane: ClusterBackplane,
    private readonly name: string,
    private readonly options: HubBackplaneOptions,
  ) {}

  get node(): string {
    return this.plane.node;
  }

  get up(): boolean {
    return this.plane.up;
  }

  get congested(): boolean {
    return this.plane.publishing >= this.plane.maxPending;
  }

  get presenceTimeoutMs(): number {
    return this.plane.presenceTimeoutMs;
  }

  async open(events: BackplaneEvents): Promise<void> {
    this.events = events;
    await this.plane.request({
      op: 'open',
      hub: this.name,
      node: this.node,
      history: this.options.historyLength,
    });
  }

  publish(room: string, line: RoomLine): Promise<void> {
    return this.plane.request({ op: 'publish', hub: this.name, room, line }).then(() => undefined);
  }

  watch(name: string): Promise<RoomSnapshot> {
    const room: WatchedRoom = { epoch: '', last: 0, ready: false, early: [] };
    this.rooms.set(name, room);
    return this.plane.request({ op: 'watch', hub: this.name, room: name }).then(
      (snapshot) => {
        room.epoch = snapshot.epoch;
        room.last = snapshot.top;
        // Lines that came with or before the answer go out once the hub has the snapshot (its
        // `then` runs in a microtask; this after them).
        setImmediate(() => this.drainEarly(name, room));
        return snapshot;
      },
      (err: unknown) => {
        if (this.rooms.get(name) === room) this.unwatch(name);
        throw err;
      },
    );
  }

  unwatch(name: string): void {
    if (!this.rooms.delete(name)) return;
    this.plane.tell({ op: 'unwatch', hub: this.name, room: name });
  }

  raise(): void {
    // The primary numbers every line; its numbers never go back (it restarting is a new epoch).
  }

  broadcast(message: NodeMessage): Promise<void> {
    return this.plane.request({ op: 'broadcast', hub: this.name, message }).then(() => undefined);
  }

  nextGuest(): Promise<number> {
    return this.plane.request({ op: 'guest', hub: this.name });
  }

  claimNick(key: string, owner: NickOwner): Promise<boolean> {
    return this.plane.request({ op: 'claim', hub: this.name, key, member: owner.member });
  }

  releaseNick(key: string, owner: NickOwner): void {
    this.plane.tell({ op: 'release', hub: this.name, key, member: owner.member });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rooms.clear();
    // The primary frees this worker's nicks and tells the others `bye`; if it is away, it does so
    // when it sees the worker exit.
    await this.plane.request({ op: 'close', hub: this.name }).catch(() => undefined);
  }

  // ---- lines from the primary, in order ---------------------------------------------------------

  receiveLine(name: string, line: SequencedLine): void {
    const room = this.rooms.get(name);
    if (room === undefined) return; // sent before this worker's unwatch reached the primary
    if (!room.ready) {
      room.early.push(line);
      return;
    }
    this.accept(name, room, line);
  }

  private drainEarly(name: string, room: WatchedRoom): void {
    if (this.rooms.get(name) !== room) return;
    room.ready = true;
    const early = room.early;
    room.early = [];
    // Lines of an earlier watch of the room (before an unwatch) are not this watch's.
    for (const line of early) if (line.epoch === room.epoch) this.accept(name, room, line);
  }

  private accept(name: string, room: WatchedRoom, line: SequencedLine): void {
    if (line.epoch !== room.epoch) {
      // The primary keeps a room's epoch while any worker watches it: this is not expected.
      this.events?.epoch(
        name,
        line.epoch,
        `the cluster primary started a new epoch (${room.epoch} ended at line ${room.last})`,
      );
      room.epoch = line.epoch;
      room.last = line.seq - 1;
    }
    if (line.seq <= room.last) return;
    if (line.seq > room.last + 1) {
      // IPC keeps order and the primary numbers without gaps: a gap is a bug, but never a silent one.
      this.plane.noteLost(line.seq - room.last - 1);
      this.events?.lost(
        name,
        `lines ${room.last + 1}-${line.seq - 1} did not reach this worker from the cluster primary and were not delivered here`,
      );
    }
    room.last = line.seq;
    this.events?.line(name, line);
  }
}
