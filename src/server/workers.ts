import cluster, { type Worker } from 'node:cluster';
import type { Backplane } from '../backplane/backplane.js';
import { ClusterBackplane } from '../backplane/cluster.js';
import {
  isBackplaneMessage,
  isBatch,
  type Batch,
  type WorkerRequest,
} from '../backplane/cluster-messages.js';
import { ClusterPrimary, type WorkerLink } from '../backplane/cluster-primary.js';
import { ErrorCode, InvalidOptionError, SwitchboardError } from '../errors.js';
import { LOBBY } from '../hub/options.js';
import { silentLogger, type Logger } from '../log.js';
import { parseEndpoint } from '../transports/endpoint.js';
import { removeStaleSocket } from '../transports/unix.js';
import { wsServerCloseCodes } from '../transports/ws-connection.js';
import { wholeNumber } from '../validate.js';
import { splitServiceSpec } from './listener-spec.js';
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  serve,
  type ListenerInfo,
  type ListenerSpec,
  type MetricsAddress,
  type ServeOptions,
  type Server,
  type ServerStats,
} from './serve.js';
import { DEFAULT_WORKER_BACKLOG, DEFAULT_WORKER_STALL_MS, WorkerBacklog } from './worker-backlog.js';

/** A worker that dies this many times within `DEFAULT_RESTART_WINDOW_MS` is not started again. */
export const DEFAULT_RESTART_LIMIT = 5;
export const DEFAULT_RESTART_WINDOW_MS = 10_000;
/**
 * After `--shutdown-timeout`, what the workers get to close their backplane and exit before the
 * primary kills them: the deadline bounds the connections, this only the last steps.
 */
const EXIT_GRACE_MS = 2_000;
/** How long the primary waits for each worker's figures (`/varz`, `/metrics`, `/healthz`). */
const ASK_TIMEOUT_MS = 2_000;
/** A worker that exits before it listens: its reason (sent just before) may arrive just after. */
const FAILURE_REPORT_WAIT_MS = 200;

/** One worker's figures, as it sends them to the primary (JSON: no object identity survives). */
export interface WorkerStatsReport {
  readonly id: number;
  readonly pid: number;
  readonly stats: ServerStats;
  /** WebSocket closes by code, this worker's. */
  readonly wsCloseCodes: ReadonlyArray<readonly [number, number]>;
  readonly rssBytes: number;
}

/** What a worker's registry gives the primary's AggregatorRegistry (prom-client's getMetricsAsJSON). */
export type WorkerMetricsJson = unknown[];

/** Supervisor ↔ worker control messages (the backplane's travel as `sb: 'bp'` on the same channel). */
type ControlMessage =
  | { readonly sb: 'ctl'; readonly op: 'listening'; readonly listeners: readonly ListenerInfo[] }
  | { readonly sb: 'ctl'; readonly op: 'failed'; readonly message: string; readonly code?: string }
  | { readonly sb: 'ctl'; readonly op: 'stop' }
  | { readonly sb: 'ctl'; readonly op: 'ask'; readonly id: number; readonly what: 'stats' | 'metrics' }
  | { readonly sb: 'ctl'; readonly op: 'answer'; readonly id: number; readonly value: unknown };

function isControlMessage(message: unknown): message is ControlMessage {
  return typeof message === 'object' && message !== null && (message as { sb?: unknown }).sb === 'ctl';
}

export interface WorkerInfo {
  /** node:cluster's worker id: 1, 2, …; a restarted worker gets the next one. */
  readonly id: number;
  readonly pid: number;
}

export interface WorkersOptions {
  /** How many worker processes. */
  readonly workers: number;
  /** Where the primary logs starts, deaths and restarts. @default silent */
  readonly logger?: Logger;
  /** As the workers' own: what a graceful stop gives connections before dropping them. @default 5000 */
  readonly shutdownTimeoutMs?: number;
  /** Serve `/metrics` (summed over the workers), `/healthz` and `/varz` here. @default none */
  readonly metrics?: string;
  /**
   * Whether the workers' chat goes through the primary (ClusterBackplane). False when they share it
   * some other way (`--backplane redis://`). @default true
   */
  readonly clusterBackplane?: boolean;
  /** Deaths within `restartWindowMs` after which the primary gives up. @default 5 */
  readonly restartLimit?: number;
  /** @default 10000 */
  readonly restartWindowMs?: number;
  /**
   * Messages (chat lines, presence, replies) the primary lets wait for one worker that does not
   * take them — SIGSTOPped, or stuck — before it kills that worker and starts another.
   * @default 100000
   */
  readonly workerBacklog?: number;
  /** How long one of those messages may wait before the same. @default 5000 */
  readonly workerStallMs?: number;
}

/** The primary's view of its workers, as startWorkers() returns it. */
export interface WorkerPool extends AsyncDisposable {
  /** The listeners every worker shares, ports resolved (as the first worker reported them). */
  readonly listeners: readonly ListenerInfo[];
  /** The workers alive and listening now. */
  readonly workers: readonly WorkerInfo[];
  /** How many the pool runs when all is well. */
  readonly size: number;
  /** Workers started again after one died. */
  readonly restarts: number;
  readonly startedAt: number;
  readonly closing: boolean;
  /** The primary's metrics endpoint, when `options.metrics` was given. */
  readonly metrics: MetricsAddress | undefined;
  /** The primary's cluster backplane (absent with `clusterBackplane: false`). */
  readonly backplane: ClusterPrimary | undefined;
  /** Each listening worker's figures; a worker that does not answer in 2 s is left out. */
  stats(): Promise<WorkerStatsReport[]>;
  /** Each listening worker's metrics, for AggregatorRegistry.aggregate(). */
  metricsJson(): Promise<WorkerMetricsJson[]>;
  /** Stop every worker gracefully (DESIGN §7); idempotent. Resolves once all have exited. */
  close(): Promise<void>;
  /** Resolves once every worker has exited: 0 if each stopped cleanly when asked, 1 otherwise. */
  readonly exited: Promise<number>;
}

interface Slot {
  readonly worker: Worker;
  readonly id: number;
  readonly pid: number;
  readonly link: WorkerLink;
  /** Killed for not taking the primary's messages: nothing more is sent to it. */
  cut: boolean;
  listening: boolean;
  /** Whom it replaces, for the log. */
  readonly replaces: string | undefined;
}

/** `worker 2 (pid 1234)` */
function nameOf(worker: Worker): string {
  return `worker ${worker.id} (pid ${worker.process.pid ?? '?'})`;
}

function sameListeners(a: readonly ListenerInfo[], b: readonly ListenerInfo[]): boolean {
  return a.length === b.length && a.every((l, i) => l.url === b[i]!.url && l.service === b[i]!.service);
}

/** Rebuild a worker's start-up error in the primary, keeping its code (and so the exit code). */
function workerError(message: string, code: string | undefined): Error {
  const known = Object.values(ErrorCode) as string[];
  return code !== undefined && known.includes(code)
    ? new SwitchboardError(code as ErrorCode, message)
    : new Error(message);
}

class Supervisor implements WorkerPool {
  private readonly slots = new Map<Worker, Slot>();
  private readonly logger: Logger;
  private readonly shutdownTimeoutMs: number;
  private readonly restartLimit: number;
  private readonly restartWindowMs: number;
  private readonly workerBacklog: number;
  private readonly workerStallMs: number;
  readonly backplane: ClusterPrimary | undefined;
  readonly startedAt = Date.now();
  listeners: readonly ListenerInfo[] = [];
  restarts = 0;
  metrics: MetricsAddress | undefined;
  endpoint: { close(): Promise<void> } | undefined;
  private deaths: number[] = [];
  private starting = true;
  private stopping: Promise<void> | undefined;
  private exitCode = 0;
  private startup!: { resolve: () => void; reject: (err: Error) => void };
  private startupFailure: Error | undefined;
  private resolveExited!: (code: number) => void;
  readonly exited = new Promise<number>((resolve) => (this.resolveExited = resolve));
  private readonly asks = new Map<number, { pending: number; values: unknown[]; done: () => void }>();
  private nextAsk = 1;

  constructor(
    readonly size: number,
    options: WorkersOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.shutdownTimeoutMs = wholeNumber(
      'shutdownTimeoutMs',
      options.shutdownTimeoutMs,
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
      { unit: 'ms' },
    );
    this.restartLimit = wholeNumber('restartLimit', options.restartLimit, DEFAULT_RESTART_LIMIT, { min: 1 });
    this.restartWindowMs = wholeNumber(
      'restartWindowMs',
      options.restartWindowMs,
      DEFAULT_RESTART_WINDOW_MS,
      {
        unit: 'ms',
      },
    );
    this.workerBacklog = wholeNumber('workerBacklog', options.workerBacklog, DEFAULT_WORKER_BACKLOG, {
      min: 1,
    });
    this.workerStallMs = wholeNumber('workerStallMs', options.workerStallMs, DEFAULT_WORKER_STALL_MS, {
      min: 1,
      unit: 'ms',
    });
    this.backplane =
      options.clusterBackplane === false ? undefined : new ClusterPrimary({ permanentRooms: [LOBBY] });
  }

  get workers(): readonly WorkerInfo[] {
    return [...this.slots.values()].filter((s) => s.listening).map((s) => ({ id: s.id, pid: s.pid }));
  }

  get closing(): boolean {
    return this.stopping !== undefined;
  }

  start(): Promise<void> {
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    const ready = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
    for (let i = 0; i < this.size; i++) this.fork(undefined);
    return ready;
  }

  private fork(replaces: string | undefined): void {
    const worker = cluster.fork();
    const backlog = new WorkerBacklog(this.workerBacklog, this.workerStallMs);
    const taken = (): void => backlog.taken();
    const link: WorkerLink = {
      name: nameOf(worker),
      send: (message) => {
        if (slot.cut || !worker.isConnected()) return;
        const now = performance.now();
        backlog.sent(isBatch(message) ? message.messages.length : 1, now);
        // The callback comes once the message is handed to the OS: what is left waits in this process.
        worker.send(message, undefined, taken);
        // While stopping, the shutdown deadline bounds every worker already.
        const why = this.stopping === undefined ? backlog.overdue(now) : undefined;
        if (why !== undefined) this.cut(slot, why);
      },
    };
    const slot: Slot = {
      worker,
      id: worker.id,
      pid: worker.process.pid ?? 0,
      link,
      cut: false,
      listening: false,
      replaces,
    };
    this.slots.set(worker, slot);
  }

  /**
   * A worker that does not take the primary's messages (SIGSTOPped, or stuck in a loop) would make
   * them pile up here without end: kill it, as the hub cuts a member that cannot keep up; its exit
   * frees its nicks, tells the other workers, and starts another in its place.
   */
  private cut(slot: Slot, why: string): void {
    if (slot.cut) return;
    slot.cut = true;
    this.logger.error(
      { worker: slot.id, pid: slot.pid },
      `${slot.link.name} is not taking the primary's messages: ${why}; killing it (SIGKILL)`,
    );
    slot.worker.process.kill('SIGKILL');
  }

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    const slot = this.slots.get(worker);
    if (slot === undefined) return;
    if (isBackplaneMessage(message)) {
      this.backplane?.receive(slot.link, message as WorkerRequest | Batch<WorkerRequest>);
      return;
    }
    if (!isControlMessage(message)) return;
    switch (message.op) {
      case 'listening':
        return this.onListening(slot, message.listeners);
      case 'failed':
        if (this.starting) return this.failStartup(workerError(message.message, message.code));
        this.logger.error(
          { worker: slot.id, pid: slot.pid },
          `${slot.link.name} could not start: ${message.message}`,
        );
        return;
      case 'answer': {
        const ask = this.asks.get(message.id);
        if (ask === undefined) return;
        ask.values.push(message.value);
        if (--ask.pending === 0) ask.done();
        return;
      }
    }
  };

  private onListening(slot: Slot, listeners: readonly ListenerInfo[]): void {
    slot.listening = true;
    // Still booting when the stop went out (node:child_process drops messages that come before a
    // listener): say it again now that it listens.
    if (this.stopping !== undefined) return this.sendControl(slot, { sb: 'ctl', op: 'stop' });
    if (this.starting) {
      if (this.listeners.length === 0) this.listeners = listeners;
      else if (!sameListeners(this.listeners, listeners)) {
        return this.failStartup(
          new Error(
            `the workers listen on different addresses (${this.listeners.map((l) => l.url).join(', ')} and ${listeners
              .map((l) => l.url)
              .join(', ')}); give each listener a fixed port`,
          ),
        );
      }
      if ([...this.slots.values()].filter((s) => s.listening).length === this.size) {
        this.starting = false;
        this.startup.resolve();
      }
      return;
    }
    this.logger.info(
      { worker: slot.id, pid: slot.pid },
      `${slot.link.name} started${slot.replaces === undefined ? '' : `, replacing ${slot.replaces}`}`,
    );
    if (!sameListeners(this.listeners, listeners)) {
      // Port 0 with one worker: the port died with it (node:cluster closes a handle no worker holds).
      this.logger.warn(
        { worker: slot.id, listeners: listeners.map((l) => l.url) },
        `${slot.link.name} listens on ${listeners.map((l) => l.url).join(', ')}, not where the banner said; ` +
          'give listeners fixed ports with --workers 1',
      );
    }
  }

  private readonly onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const slot = this.slots.get(worker);
    if (slot === undefined) return;
    this.slots.delete(worker);
    // DESIGN §8: its nicks are free and its members leave /who on every other worker, now.
    this.backplane?.detach(slot.link);
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (this.stopping !== undefined) {
      if (code !== 0) this.exitCode = 1;
      this.logger.debug({ worker: slot.id, pid: slot.pid }, `${slot.link.name} exited (${how})`);
      if (this.slots.size === 0) this.allExited?.();
      return;
    }
    if (this.starting) {
      // Its reason (a 'failed' message) may still be on its way.
      setTimeout(
        () => this.failStartup(new Error(`${slot.link.name} exited (${how}) before it was listening`)),
        FAILURE_REPORT_WAIT_MS,
      );
      return;
    }
    this.onCrash(slot, how);
  };

  private onCrash(slot: Slot, how: string): void {
    const now = performance.now();
    this.deaths = this.deaths.filter((t) => now - t < this.restartWindowMs);
    this.deaths.push(now);
    if (this.deaths.length >= this.restartLimit) {
      this.logger.error(
        { worker: slot.id, pid: slot.pid },
        `${slot.link.name} died (${how}): ${this.deaths.length} workers died within ${this.restartWindowMs / 1000} s; ` +
          'giving up (see the errors above), stopping the others',
      );
      this.exitCode = 1;
      void this.close();
      return;
    }
    this.logger.warn({ worker: slot.id, pid: slot.pid }, `${slot.link.name} died (${how}); starting another`);
    // A short pause, longer with each recent death: a worker that dies at start is not respawned hot.
    setTimeout(() => {
      if (this.stopping !== undefined) return;
      this.restarts++;
      this.fork(slot.link.name);
      // Not unref'd: with no worker left, this timer is what keeps the primary running.
    }, 100 * this.deaths.length);
  }

  private failStartup(err: Error): void {
    if (!this.starting || this.startupFailure !== undefined) return;
    this.startupFailure = err;
    this.exitCode = 1;
    void this.close().then(() => this.startup.reject(err));
  }

  private allExited: (() => void) | undefined;

  close(): Promise<void> {
    return (this.stopping ??= this.shutdown());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    if (this.slots.size > 0) {
      const gone = new Promise<void>((resolve) => (this.allExited = resolve));
      for (const slot of this.slots.values()) this.sendControl(slot, { sb: 'ctl', op: 'stop' });
      const deadline = setTimeout(() => {
        this.exitCode = 1;
        this.logger.warn(
          { workers: [...this.slots.values()].map((s) => s.pid) },
          `${this.slots.size} worker(s) still running ${this.shutdownTimeoutMs + EXIT_GRACE_MS} ms after the stop; killing them`,
        );
        for (const slot of this.slots.values()) slot.worker.process.kill('SIGKILL');
      }, this.shutdownTimeoutMs + EXIT_GRACE_MS);
      await gone;
      clearTimeout(deadline);
    }
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
    await this.endpoint?.close();
    this.resolveExited(this.exitCode);
  }

  private sendControl(slot: Slot, message: ControlMessage): void {
    if (slot.worker.isConnected()) slot.worker.send(message);
  }

  private ask(what: 'stats' | 'metrics'): Promise<unknown[]> {
    const targets = [...this.slots.values()].filter((s) => s.listening && s.worker.isConnected());
    if (targets.length === 0) return Promise.resolve([]);
    const id = this.nextAsk++;
    return new Promise((resolve) => {
      const ask = {
        pending: targets.length,
        values: [] as unknown[],
        done: () => {
          clearTimeout(timer);
          this.asks.delete(id);
          resolve(ask.values);
        },
      };
      // A worker that does not answer (dying, stuck) is left out rather than fail the whole answer.
      const timer = setTimeout(ask.done, ASK_TIMEOUT_MS);
      this.asks.set(id, ask);
      for (const slot of targets) this.sendControl(slot, { sb: 'ctl', op: 'ask', id, what });
    });
  }

  async stats(): Promise<WorkerStatsReport[]> {
    return (await this.ask('stats')) as WorkerStatsReport[];
  }

  async metricsJson(): Promise<WorkerMetricsJson[]> {
    return (await this.ask('metrics')) as WorkerMetricsJson[];
  }
}

/**
 * `--workers N` (DESIGN §8), the primary's half: fork N node:cluster workers running this same
 * program (each calls serveWorker()), and resolve once every one listens. node:cluster shares each
 * listener among them (TCP, TLS, WebSocket and Unix sockets round-robin from the primary; a UDP
 * socket is shared and each datagram read by one worker); without another backplane, their chat
 * goes through a ClusterPrimary here. A worker that dies is started again and said so in the log;
 * after `restartLimit` deaths within `restartWindowMs` the pool stops and `exited` gives 1.
 *
 * @throws InvalidOptionError | SocketInUseError, or a worker's own start-up error (AddressInUseError, …)
 */
export async function startWorkers(
  specs: readonly ListenerSpec[],
  options: WorkersOptions,
): Promise<WorkerPool> {
  if (!cluster.isPrimary)
    throw new InvalidOptionError('startWorkers() runs in the primary; workers call serveWorker()');
  const size = wholeNumber('workers', options.workers, 1, { min: 1 });
  // node:cluster binds a Unix socket in the primary, for every worker: clear a stale file once,
  // here, rather than have N workers race to remove it.
  for (const spec of specs) {
    const url = typeof spec === 'string' ? splitServiceSpec(spec).url : spec.url;
    const endpoint = parseEndpoint(url);
    if (endpoint.transport === 'unix') await removeStaleSocket(endpoint.path);
  }
  const pool = new Supervisor(size, options);
  await pool.start();
  if (options.metrics !== undefined) {
    try {
      const { startClusterMetricsEndpoint } = await import('../metrics/cluster-endpoint.js');
      const endpoint = await startClusterMetricsEndpoint(pool, options.metrics);
      pool.endpoint = endpoint;
      pool.metrics = endpoint.address;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }
  return pool;
}

export interface WorkerServeOptions extends ServeOptions {
  /**
   * The primary serves the metrics (`--metrics`): this worker keeps a registry for it to gather.
   * `metrics` itself is never bound by a worker.
   */
  readonly metrics?: string;
}

/**
 * `--workers N`, a worker's half: serve() the same listeners as every other worker (node:cluster
 * shares them), with chat through the primary (ClusterBackplane) unless `options.backplane` is
 * given; tell the primary where it listens, answer its questions (figures for `/varz`, metrics), and
 * close the server gracefully when it says stop — the caller exits once `server.closed` resolves.
 * A start-up error is sent to the primary (which reports it once) and thrown.
 */
export async function serveWorker(
  specs: readonly ListenerSpec[],
  options: WorkerServeOptions = {},
): Promise<Server> {
  const worker = cluster.worker;
  if (worker === undefined) throw new InvalidOptionError('serveWorker() runs in a node:cluster worker');
  const report = (message: ControlMessage): void => {
    if (process.connected) process.send!(message);
  };
  const { metrics, ...serveOptions } = options;
  const backplane: Backplane = options.backplane ?? new ClusterBackplane();
  let server: Server | undefined;
  let registry: { getMetricsAsJSON(): Promise<unknown[]> } | undefined;
  let stopAsked = false;
  // Listening from the start: a stop that comes while this worker starts (another failed) is kept.
  process.on('message', (message: unknown) => {
    if (!isControlMessage(message)) return;
    if (message.op === 'stop') {
      stopAsked = true;
      void server?.close();
      return;
    }
    if (message.op !== 'ask' || server === undefined) return;
    const answer = (value: unknown): void => report({ sb: 'ctl', op: 'answer', id: message.id, value });
    if (message.what === 'stats') answer(statsReport(worker.id, server.stats()));
    else if (registry !== undefined) void registry.getMetricsAsJSON().then(answer, () => answer([]));
    else answer([]);
  });
  try {
    const running = await serve(specs, { ...serveOptions, backplane });
    server = running;
    if (metrics !== undefined) {
      const { createMetricsRegistry } = await import('../metrics/registry.js');
      const { version } = await import('../metrics/http-endpoint.js');
      registry = createMetricsRegistry(() => running.stats(), version).registry;
    }
  } catch (err) {
    await reportStartFailure(err);
    throw err;
  }
  if (stopAsked) void server.close();
  report({ sb: 'ctl', op: 'listening', listeners: server.listeners });
  return server;
}

/**
 * Tell the primary why this worker could not start (it says so once, for all its workers, and exits
 * with the code the error calls for); resolves once the message is on its way.
 */
export function reportStartFailure(err: unknown): Promise<void> {
  if (process.connected !== true || process.send === undefined) return Promise.resolve();
  const code = err instanceof SwitchboardError ? err.code : undefined;
  const message: ControlMessage = {
    sb: 'ctl',
    op: 'failed',
    message: err instanceof Error ? err.message : String(err),
    ...(code !== undefined && { code }),
  };
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

function statsReport(id: number, stats: ServerStats): WorkerStatsReport {
  return {
    id,
    pid: process.pid,
    // A hub is its own `source`: not something to send; each worker's hubs are its own anyway.
    stats: { ...stats, services: stats.services.map((s) => ({ ...s, source: {} })) },
    wsCloseCodes: [...wsServerCloseCodes],
    rssBytes: process.memoryUsage.rss(),
  };
}
