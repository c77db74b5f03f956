import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { BackplaneUnavailableError, InvalidOptionError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseWholeNumber } from '../validate.js';
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
import { newEpoch } from './memory.js';
import { CLAIM_NICK, PUBLISH_LINES, RAISE_SEQ, RELEASE_NICK } from './redis-scripts.js';
import { encodeWireLine, parseBatchMessage, parseStreamEntry, type StreamEntry } from './redis-wire.js';

/** 2 s: the longest a command to Redis may take before the node gives up on it (a SIGSTOPped Redis). */
export const DEFAULT_REDIS_TIMEOUT_MS = 2_000;
/** Lines awaiting their numbers, per process, before senders wait for theirs before the next. */
export const DEFAULT_MAX_PENDING = 1_000;
/** 15 s: a node not heard from this long is taken for dead; its members leave /who. */
export const DEFAULT_PRESENCE_TIMEOUT_MS = 15_000;
/** 30 s: a dead node's nicks are free again within this (a live node refreshes its own every third). */
export const DEFAULT_NICK_TTL_MS = 30_000;

export interface RedisBackplaneOptions {
  /** `redis://[user:pass@]HOST:PORT[/DB]`, `rediss://` for TLS. Query parameters: see below. */
  readonly url: string;
  /** `?prefix=`: every key and channel starts with it. @default 'switchboard' */
  readonly prefix?: string;
  /** `?timeout=`: ms a command may take. @default 2000 */
  readonly commandTimeoutMs?: number;
  /** `?maxPending=`: lines awaiting sequencing before senders wait. @default 1000 */
  readonly maxPending?: number;
  /** `?presence=`: ms of silence after which a node is taken for dead. @default 15000 */
  readonly presenceTimeoutMs?: number;
  /** `?nickTtl=`: ms a dead node's nicks stay held. @default 30000 */
  readonly nickTtlMs?: number;
  readonly logger?: Logger;
}

/** The custom commands defined from redis-scripts.ts (ioredis types them as unknown). */
interface ScriptCommands {
  sbPublish(
    meta: string,
    log: string,
    channel: string,
    maxlen: number,
    epoch: string,
    deadline: number,
    ...lines: string[]
  ): Promise<[string, number]>;
  sbClaim(key: string, owner: string, ttlMs: number): Promise<number>;
  sbRelease(key: string, owner: string): Promise<number>;
  sbRaise(meta: string, epoch: string, seq: number): Promise<number>;
}

/** Read `redis://…?prefix=…&timeout=…` into options; the query is ours, the rest is ioredis's. */
export function redisBackplaneOptions(url: string, logger?: Logger): RedisBackplaneOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError(`--backplane ${url}: not a URL; expected redis://HOST:PORT[/DB]`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionError(
      `--backplane ${url}: unknown scheme ${parsed.protocol}; expected redis://HOST:PORT[/DB] or rediss://`,
    );
  }
  const take = (name: string, fallback: number, min: number): number => {
    const text = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    return text === null ? fallback : parseWholeNumber(`--backplane ${name}`, text, { min });
  };
  const prefix = parsed.searchParams.get('prefix') ?? 'switchboard';
  parsed.searchParams.delete('prefix');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new InvalidOptionError(`--backplane prefix=${prefix}: use 1-64 letters, digits, _ . : or -`);
  }
  const options = {
    prefix,
    commandTimeoutMs: take('timeout', DEFAULT_REDIS_TIMEOUT_MS, 10),
    maxPending: take('maxPending', DEFAULT_MAX_PENDING, 1),
    presenceTimeoutMs: take('presence', DEFAULT_PRESENCE_TIMEOUT_MS, 300),
    nickTtlMs: take('nickTtl', DEFAULT_NICK_TTL_MS, 300),
    ...(logger !== undefined && { logger }),
  };
  const rest = [...parsed.searchParams.keys()];
  if (rest.length > 0) {
    throw new InvalidOptionError(
      `--backplane: unknown parameter ${rest.join(', ')}; known: prefix, timeout, maxPending, presence, nickTtl`,
    );
  }
  return { url: parsed.toString(), ...options };
}

/**
 * Rooms across processes and machines on one Redis (DESIGN §8). Every room line is numbered in
 * one Lua script (redis-scripts.ts) and published; each node delivers a room's lines in number
 * order, drops duplicates, and fills a gap from the room's stream before going on. Commands time
 * out; while Redis does not answer, lines are refused at once (their senders told) instead of piling
 * up; when it answers again the nodes fill what they missed and go on in order.
 *
 * ioredis, not node-redis: it runs scripts by SHA with a fallback to EVAL (defineCommand), has
 * per-command timeouts, can turn off its offline queue and the resending of unanswered commands —
 * the two ways a client library would otherwise send a line its sender was told was not sent — and
 * speaks Redis Cluster with the same API.
 */
export class RedisBackplane implements Backplane {
  readonly kind = 'redis';
  readonly description: string;
  readonly options: Required<Omit<RedisBackplaneOptions, 'logger'>>;
  private readonly logger: Logger | undefined;
  /** Commands and scripts. */
  readonly cmd: Redis;
  /** Subscriptions (a connection in subscriber mode takes no other command). */
  private readonly sub: Redis;
  private readonly hubs = new Map<string, RedisHubBackplane>();
  /** Channel → who receives its messages. */
  private readonly channels = new Map<string, (message: string) => void>();
  /** Lines sent to Redis and not answered yet. */
  pending = 0;
  /** Publish-to-answer time of lines, a moving average over about the last 100, in ms. */
  lagMs = 0;
  /** Redis's clock minus ours, in ms (line deadlines are in Redis's clock). */
  skewMs = 0;
  /** False after a command timed out, until Redis answers again: lines are refused meanwhile. */
  private answering = true;
  private probe: NodeJS.Timeout | undefined;
  private wasUp = false;
  private closing = false;
  /** Lines numbered, gaps filled, lines found lost: for the metrics. */
  readonly counts = { gapFills: 0, linesFilled: 0, lost: 0, timeouts: 0, refused: 0 };

  constructor(options: RedisBackplaneOptions) {
    const parsed = new URL(options.url);
    this.description = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
    this.options = {
      url: options.url,
      prefix: options.prefix ?? 'switchboard',
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS,
      maxPending: options.maxPending ?? DEFAULT_MAX_PENDING,
      presenceTimeoutMs: options.presenceTimeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS,
      nickTtlMs: options.nickTtlMs ?? DEFAULT_NICK_TTL_MS,
    };
    this.logger = options.logger;
    const common: RedisOptions = {
      lazyConnect: true,
      // DESIGN §8: a command waits at most this long, and none is queued or resent behind the
      // node's back: a line refused to its sender must never be sequenced later.
      commandTimeout: this.options.commandTimeoutMs,
      connectTimeout: Math.max(1_000, this.options.commandTimeoutMs),
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // Reconnect for ever, at most a second apart: Redis coming back is noticed within a second.
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    };
    this.cmd = new Redis(options.url, { ...common, connectionName: 'switchboard' });
    this.sub = new Redis(options.url, { ...common, connectionName: 'switchboard-sub' });
    this.cmd.defineCommand('sbPublish', { numberOfKeys: 2, lua: PUBLISH_LINES });
    this.cmd.defineCommand('sbClaim', { numberOfKeys: 1, lua: CLAIM_NICK });
    this.cmd.defineCommand('sbRelease', { numberOfKeys: 1, lua: RELEASE_NICK });
    this.cmd.defineCommand('sbRaise', { numberOfKeys: 1, lua: RAISE_SEQ });
    for (const conn of [this.cmd, this.sub]) {
      // Errors surface as connection state and rejected commands; this keeps them out of the
      // process's unhandled 'error' path.
      conn.on('error', (err: Error) => this.logger?.debug({ err: err.message }, 'redis connection error'));
      conn.on('ready', () => void this.onReady());
      conn.on('close', () => this.onState());
    }
    this.sub.on('message', (channel: string, message: string) => this.channels.get(channel)?.(message));
  }

  get scripts(): ScriptCommands {
    return this.cmd as unknown as ScriptCommands;
  }

  /** Connected both ways, and Redis answers. */
  get up(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready' && this.answering;
  }

  /** Why lines are refused now, for the sender's notice. */
  get downReason(): string {
    if (this.cmd.status !== 'ready' || this.sub.status !== 'ready') return 'not connected';
    return `no answer within ${this.options.commandTimeoutMs} ms`;
  }

  stats(): BackplaneStats {
    return {
      kind: this.kind,
      description: this.description,
      up: this.up,
      ...this.counts,
      pending: this.pending,
      lagMs: Math.round(this.lagMs * 1000) / 1000,
    };
  }

  async start(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
    } catch (err) {
      this.cmd.disconnect();
      this.sub.disconnect();
      throw new BackplaneUnavailableError(
        this.description,
        `cannot connect (${(err as Error).message}); start redis-server there or fix --backplane`,
        err,
      );
    }
    await this.measureSkew();
    this.wasUp = true;
    this.probe = setInterval(() => void this.probeRedis(), 1_000);
    this.probe.unref();
  }

  hub(name: string, options: HubBackplaneOptions): HubBackplane {
    let hub = this.hubs.get(name);
    if (hub === undefined) {
      hub = new RedisHubBackplane(this, name, options);
      this.hubs.set(name, hub);
    }
    return hub;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.probe !== undefined) clearInterval(this.probe);
    await Promise.all([...this.hubs.values()].map((h) => h.close()));
    this.hubs.clear();
    await Promise.allSettled([this.cmd.quit(), this.sub.quit()]);
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  async subscribe(channel: string, receive: (message: string) => void): Promise<void> {
    this.channels.set(channel, receive);
    await this.sub.subscribe(channel);
  }

  unsubscribe(channel: string): void {
    this.channels.delete(channel);
    if (this.sub.status === 'ready') this.sub.unsubscribe(channel).catch(() => undefined);
  }

  /** A command failed: if it timed out, Redis is taken as not answering until the probe hears it. */
  failed(err: unknown): BackplaneUnavailableError {
    const message = err instanceof Error ? err.message : String(err);
    if (/timed out/i.test(message)) {
      this.counts.timeouts++;
      if (this.answering) {
        this.answering = false;
        this.onState();
      }
      return new BackplaneUnavailableError(
        this.description,
        `no answer within ${this.options.commandTimeoutMs} ms`,
        err,
      );
    }
    if (message.startsWith('EXPIRED')) {
      return new BackplaneUnavailableError(this.description, 'Redis answered too late', err);
    }
    return new BackplaneUnavailableError(this.description, message, err);
  }

  /** Refuse a line at once while Redis is down: nothing piles up (DESIGN §8). */
  refusal(): BackplaneUnavailableError | undefined {
    if (this.up) return undefined;
    this.counts.refused++;
    return new BackplaneUnavailableError(this.description, this.downReason);
  }

  /** One PING a second while Redis does not answer: it is back when one comes through. */
  private async probeRedis(): Promise<void> {
    if (this.answering || this.cmd.status !== 'ready') return;
    try {
      await this.cmd.ping();
      this.answering = true;
      await this.onReady();
    } catch {
      // Still silent; the next probe asks again.
    }
  }

  private async measureSkew(): Promise<void> {
    const before = Date.now();
    const [seconds, micros] = await this.cmd.time();
    const after = Date.now();
    this.skewMs =
      Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.round((before + after) / 2);
  }

  private async onReady(): Promise<void> {
    if (!this.up || this.closing) return;
    if (this.wasUp) return;
    this.wasUp = true;
    try {
      await this.measureSkew();
    } catch {
      // Kept from before; a deadline off by the skew only refuses a line early.
    }
    this.logger?.info({ backplane: this.description }, 'backplane back: filling gaps');
    for (const hub of this.hubs.values()) hub.reconnected();
  }

  private onState(): void {
    if (this.closing) return;
    const up = this.up;
    if (!up && this.wasUp) {
      this.wasUp = false;
      this.logger?.warn(
        { backplane: this.description, reason: this.downReason },
        'backplane down: refusing lines',
      );
      for (const hub of this.hubs.values()) hub.events?.state(false, this.downReason);
    }
  }
}

/** What a node knows of a room it carries. */
interface WatchedRoom {
  readonly channel: string;
  readonly meta: string;
  readonly log: string;
  /** '' until the room has an epoch (nothing said in it yet). */
  epoch: string;
  last: number;
  /** Set once the snapshot is taken: lines before it are held in `early`. */
  ready: boolean;
  /** Lines that came ahead of their turn (a gap being filled, or before the snapshot). */
  readonly early: Map<number, SequencedLine>;
  filling: boolean;
}

class RedisHubBackplane implements HubBackplane {
  readonly node = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly shared = true;
  events: BackplaneEvents | undefined;
  private readonly rooms = new Map<string, WatchedRoom>();
  /** Nicks this node holds, refreshed before they expire. */
  private readonly nicks = new Map<string, string>();
  private refresher: NodeJS.Timeout | undefined;
  private readonly nodesChannel: string;
  /** Lines waiting for their room's script call, and the calls out, per room. */
  private readonly outgoing = new Map<string, OutgoingRoom>();
  private sendQueued = false;

  constructor(
    private readonly plane: RedisBackplane,
    private readonly name: string,
    private readonly options: HubBackplaneOptions,
  ) {
    this.nodesChannel = `${plane.options.prefix}:{${name}}:nodes`;
  }

  get up(): boolean {
    return this.plane.up;
  }

  get congested(): boolean {
    return this.plane.pending >= this.plane.options.maxPending;
  }

  get presenceTimeoutMs(): number {
    return this.plane.options.presenceTimeoutMs;
  }

  get nickTtlMs(): number {
    return this.plane.options.nickTtlMs;
  }

  async open(events: BackplaneEvents): Promise<void> {
    this.events = events;
    await this.plane.subscribe(this.nodesChannel, (message) => {
      try {
        events.node(JSON.parse(message) as NodeMessage);
      } catch {
        // Not ours (another program on the channel): ignored.
      }
    });
    const ttl = this.plane.options.nickTtlMs;
    this.refresher = setInterval(() => this.refreshNicks(), ttl / 3);
    this.refresher.unref();
  }

  /**
   * Queue a line for numbering. A room's lines go to Redis in one script call and come back in one
   * message, and a room has one call out at a time (group commit, as databases batch their log
   * writes): lines that come while it is out wait for its answer and go together in the next one.
   * When Redis keeps up, a line goes at the end of its turn; under load the batches grow with the
   * round trip instead of the calls multiplying — fewer script calls, fewer messages, and fewer,
   * larger writes to the members of every node. A full batch goes at once. The promise settles
   * with the line's call.
   */
  publish(room: string, line: RoomLine): Promise<void> {
    const refusal = this.plane.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    let out = this.outgoing.get(room);
    if (out === undefined) {
      out = { lines: [], chars: 0, inFlight: 0 };
      this.outgoing.set(room, out);
    }
    this.plane.pending++;
    const wire = encodeWireLine(line);
    const queued = out.lines;
    const settled = new Promise<void>((resolve, reject) => {
      queued.push({ wire, resolve, reject });
    });
    out.chars += wire.length;
    if (out.lines.length >= MAX_BATCH_LINES || out.chars >= MAX_BATCH_CHARS) this.send(room, out);
    else if (out.inFlight === 0) this.scheduleSend();
    return settled;
  }

  private scheduleSend(): void {
    if (this.sendQueued) return;
    this.sendQueued = true;
    queueMicrotask(this.sendWaiting);
  }

  /** Every room with lines waiting and no call out: its lines go now. */
  private readonly sendWaiting = (): void => {
    this.sendQueued = false;
    for (const [room, out] of this.outgoing) {
      if (out.inFlight === 0 && out.lines.length > 0) this.send(room, out);
    }
  };

  /** One script call for the lines a room has waiting (redis-scripts.ts, PUBLISH_LINES). */
  private send(room: string, out: OutgoingRoom): void {
    const lines = out.lines;
    out.lines = [];
    out.chars = 0;
    out.inFlight++;
    const keys = this.watchedKeys(room);
    const plane = this.plane;
    const started = performance.now();
    const wires = new Array<string>(lines.length);
    for (let i = 0; i < lines.length; i++) wires[i] = lines[i]!.wire;
    plane.scripts
      .sbPublish(
        keys.meta,
        keys.log,
        keys.channel,
        this.options.historyLength,
        newEpoch(),
        Date.now() + plane.skewMs + plane.options.commandTimeoutMs,
        ...wires,
      )
      .then(
        () => {
          plane.lagMs += (performance.now() - started - plane.lagMs) / 100;
          plane.pending -= lines.length;
          for (const l of lines) l.resolve();
          this.answered(room, out, undefined);
        },
        (err: unknown) => {
          const failure = plane.failed(err);
          plane.pending -= lines.length;
          for (const l of lines) l.reject(failure);
          this.answered(room, out, failure);
        },
      );
  }

  /**
   * A room's call came back. The lines that waited for it go next; if it failed, they are refused
   * with it rather than sent after a timeout already spent (DESIGN §8: waits are bounded).
   */
  private answered(room: string, out: OutgoingRoom, failure: Error | undefined): void {
    out.inFlight--;
    if (failure !== undefined && out.lines.length > 0) {
      const waiting = out.lines;
      out.lines = [];
      out.chars = 0;
      this.plane.pending -= waiting.length;
      for (const l of waiting) l.reject(failure);
    }
    if (out.inFlight > 0) return;
    if (out.lines.length > 0) this.scheduleSend();
    else if (this.outgoing.get(room) === out) this.outgoing.delete(room);
  }

  async watch(name: string): Promise<RoomSnapshot> {
    const keys = this.watchedKeys(name);
    const room: WatchedRoom = { ...keys, epoch: '', last: 0, ready: false, early: new Map(), filling: false };
    this.rooms.set(name, room);
    try {
      // Subscribe first, then read: a line numbered in between is in both, and dropped once.
      await this.plane.subscribe(room.channel, (message) => this.receive(name, room, message));
      // A room nobody has spoken in gets its epoch now (the first node to watch it names it), so
      // that a member can resume from "line 0 of epoch E" before the first line.
      const [, , meta, entries] = await this.read(
        this.plane.cmd
          .multi()
          .hsetnx(room.meta, 'epoch', newEpoch())
          .hsetnx(room.meta, 'seq', 0)
          .hmget(room.meta, 'epoch', 'seq')
          .xrevrange(room.log, '+', '-', 'COUNT', Math.max(1, this.options.historyLength)),
      );
      const [epoch, seq] = meta as [string | null, string | null];
      const lines: SequencedLine[] = [];
      for (const entry of (entries as StreamEntry[]).reverse()) parseStreamEntry(entry, lines);
      // An entry is one script call's lines: the oldest one kept may reach further back.
      const history = lines.slice(Math.max(0, lines.length - this.options.historyLength));
      room.epoch = epoch ?? '';
      room.last = Number(seq ?? 0);
      room.ready = true;
      // Lines that came while reading go out after the hub has the snapshot.
      setImmediate(() => this.drainEarly(name, room));
      return { epoch: room.epoch, top: room.last, lines: history.filter((l) => l.epoch === room.epoch) };
    } catch (err) {
      if (this.rooms.get(name) === room) {
        this.rooms.delete(name);
        this.plane.unsubscribe(room.channel);
      }
      throw err instanceof BackplaneUnavailableError ? err : this.plane.failed(err);
    }
  }

  unwatch(name: string): void {
    const room = this.rooms.get(name);
    if (room === undefined) return;
    this.rooms.delete(name);
    this.plane.unsubscribe(room.channel);
  }

  raise(name: string, epoch: string, seq: number): void {
    if (!this.plane.up) return;
    this.plane.scripts.sbRaise(this.watchedKeys(name).meta, epoch, seq).catch(() => undefined);
  }

  broadcast(message: NodeMessage): Promise<void> {
    const refusal = this.plane.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.plane.cmd.publish(this.nodesChannel, JSON.stringify(message)).then(
      () => undefined,
      (err: unknown) => {
        throw this.plane.failed(err);
      },
    );
  }

  nextGuest(): Promise<number> {
    const refusal = this.plane.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.plane.cmd.incr(`${this.plane.options.prefix}:{${this.name}}:guests`).catch((err: unknown) => {
      throw this.plane.failed(err);
    });
  }

  claimNick(key: string, owner: NickOwner): Promise<boolean> {
    const refusal = this.plane.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    const holder = `${owner.node}/${owner.member}`;
    return this.plane.scripts.sbClaim(this.nickKey(key), holder, this.plane.options.nickTtlMs).then(
      (held) => {
        if (held === 1) this.nicks.set(key, holder);
        return held === 1;
      },
      (err: unknown) => {
        throw this.plane.failed(err);
      },
    );
  }

  releaseNick(key: string, owner: NickOwner): void {
    const holder = `${owner.node}/${owner.member}`;
    if (this.nicks.get(key) !== holder) return;
    this.nicks.delete(key);
    // If Redis is away the key expires by itself within the nick TTL.
    if (this.plane.up) this.plane.scripts.sbRelease(this.nickKey(key), holder).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.refresher !== undefined) clearInterval(this.refresher);
    if (this.plane.up) {
      await Promise.allSettled([
        this.broadcast({ type: 'bye', node: this.node }),
        ...[...this.nicks].map(([key, holder]) => this.plane.scripts.sbRelease(this.nickKey(key), holder)),
      ]);
    }
    this.nicks.clear();
    for (const name of [...this.rooms.keys()]) this.unwatch(name);
    this.plane.unsubscribe(this.nodesChannel);
  }

  /** Redis answers again: fill every room from the last line this node delivered. */
  reconnected(): void {
    for (const [name, room] of this.rooms) if (room.ready) void this.fill(name, room, true);
    this.events?.state(true, 'reconnected');
    this.refreshNicks();
  }

  // ---- receiving, in order ------------------------------------------------------------------

  private receive(name: string, room: WatchedRoom, message: string): void {
    if (this.rooms.get(name) !== room) return;
    for (const line of parseBatchMessage(message)) {
      if (!room.ready || room.filling) room.early.set(line.seq, line);
      else this.accept(name, room, line);
    }
  }

  /** One line, in order: delivered, dropped as a duplicate, or held while the gap before it fills. */
  private accept(name: string, room: WatchedRoom, line: SequencedLine): void {
    if (line.epoch !== room.epoch) {
      if (room.epoch !== '') {
        this.events?.epoch(
          name,
          line.epoch,
          `its history was lost in Redis (epoch ${room.epoch} ended at line ${room.last}; new epoch ${line.epoch})`,
        );
      }
      room.epoch = line.epoch;
      room.last = 0;
      for (const seq of room.early.keys())
        if (room.early.get(seq)!.epoch !== line.epoch) room.early.delete(seq);
    }
    if (line.seq <= room.last) return;
    if (line.seq === room.last + 1) {
      this.deliver(name, room, line);
      this.drainEarly(name, room);
      return;
    }
    room.early.set(line.seq, line);
    void this.fill(name, room, false);
  }

  private deliver(name: string, room: WatchedRoom, line: SequencedLine): void {
    room.last = line.seq;
    this.events?.line(name, line);
  }

  private drainEarly(name: string, room: WatchedRoom): void {
    if (this.rooms.get(name) !== room) return;
    for (;;) {
      for (const seq of room.early.keys()) if (seq <= room.last) room.early.delete(seq);
      const next = room.early.get(room.last + 1);
      if (next === undefined) break;
      room.early.delete(next.seq);
      if (next.epoch === room.epoch) this.deliver(name, room, next);
    }
    if (room.early.size > 0) void this.fill(name, room, false);
  }

  /**
   * Read what this node missed from the room's stream: after a gap in the numbers, or (`check`)
   * after an outage, when the room may also have lost its history (new epoch) or its tail (an
   * asynchronous replica promoted without the last lines).
   */
  private async fill(name: string, room: WatchedRoom, check: boolean): Promise<void> {
    if (room.filling || this.rooms.get(name) !== room) return;
    room.filling = true;
    this.plane.counts.gapFills++;
    try {
      const [meta, entries] = await this.read(
        this.plane.cmd
          .multi()
          .hmget(room.meta, 'epoch', 'seq')
          // Entries are keyed by their last line: from N on, every entry holding a line ≥ N.
          .xrange(room.log, `${room.last + 1}-0`, '+'),
      );
      const [epoch, seq] = meta as [string | null, string | null];
      const top = Number(seq ?? 0);
      if (epoch !== null && epoch === room.epoch && top < room.last && check) {
        // Redis lost a tail this node delivered. The lines stay in the node's log (the hub keeps
        // them); the room's number is raised past them so that no number is given twice.
        this.plane.counts.lost += room.last - top;
        await this.plane.scripts.sbRaise(room.meta, room.epoch, room.last);
        this.events?.lost(
          name,
          `lines ${top + 1}-${room.last} were lost by Redis (a failover or a restart from an older save); ` +
            `numbering goes on from ${room.last + 1}`,
        );
      } else if (epoch !== null && epoch !== room.epoch && room.epoch !== '') {
        this.events?.epoch(
          name,
          epoch,
          `its history was lost in Redis (epoch ${room.epoch} ended at line ${room.last}; new epoch ${epoch})`,
        );
        room.epoch = epoch;
        room.last = 0;
        room.early.clear();
        room.filling = false;
        return this.fill(name, room, false);
      } else if (epoch !== null && room.epoch === '') {
        room.epoch = epoch;
      }
      const filled: SequencedLine[] = [];
      for (const entry of entries as StreamEntry[]) parseStreamEntry(entry, filled);
      for (const line of filled) {
        if (line.epoch !== room.epoch || line.seq <= room.last) continue;
        if (line.seq > room.last + 1) {
          this.plane.counts.lost += line.seq - room.last - 1;
          this.events?.lost(
            name,
            `lines ${room.last + 1}-${line.seq - 1} are no longer in the room's history and were not delivered here`,
          );
        }
        this.plane.counts.linesFilled++;
        this.deliver(name, room, line);
      }
    } catch (err) {
      // Redis went away again: the next reconnect fills from here.
      this.plane.failed(err);
    } finally {
      room.filling = false;
    }
    this.drainEarly(name, room);
  }

  private async read(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const replies = await multi.exec();
    if (replies === null) throw new Error('transaction aborted');
    return replies.map(([err, value]) => {
      if (err !== null) throw err;
      return value;
    });
  }

  /**
   * Keep this node's nicks: each claim is renewed before it lapses. One that another holds now (it
   * lapsed during an outage and was taken elsewhere) is given up, and the hub renames its member.
   */
  private refreshNicks(): void {
    if (!this.plane.up) return;
    const ttl = this.plane.options.nickTtlMs;
    for (const [key, holder] of this.nicks) {
      this.plane.scripts.sbClaim(this.nickKey(key), holder, ttl).then(
        (held) => {
          if (held === 1 || this.nicks.get(key) !== holder) return;
          this.nicks.delete(key);
          const member = Number(holder.slice(holder.lastIndexOf('/') + 1));
          this.events?.nickLost(key, { node: this.node, member });
        },
        () => undefined, // Redis away again: the next refresh asks again.
      );
    }
  }

  private nickKey(key: string): string {
    return `${this.plane.options.prefix}:{${this.name}}:nick:${key}`;
  }

  /** A room's keys and channel, all under the room's hash tag: one slot on Redis Cluster. */
  private watchedKeys(room: string): { channel: string; meta: string; log: string } {
    const base = `${this.plane.options.prefix}:{${this.name}:${room}}`;
    return { channel: `${base}:lines`, meta: `${base}:meta`, log: `${base}:log` };
  }
}

/** A line waiting for its room's script call. */
interface QueuedLine {
  readonly wire: string;
  resolve(): void;
  reject(err: Error): void;
}

/** A room's lines waiting for its script call, and its calls out (at most one unless full). */
interface OutgoingRoom {
  lines: QueuedLine[];
  /** The waiting lines' wire text, in characters. */
  chars: number;
  inFlight: number;
}

/**
 * One script call's bounds: its argument count, and the size of the message every node receives
 * and of the stream entry (500 lines of 4 KiB would be 2 MiB; 256 Ki characters caps it).
 */
const MAX_BATCH_LINES = 500;
const MAX_BATCH_CHARS = 256 * 1024;
