/**
 * Options of `switchboard bench` (DESIGN §5), resolved once at the edge (STYLE: options).
 */
import { InvalidOptionError } from '../errors.js';
import { FRAMING_NAMES, type FramingName } from '../framing/codec.js';
import { parseEndpoint, type Endpoint } from '../transports/endpoint.js';
import { transportFor } from '../transports/registry.js';
import { oneOf, wholeNumber } from '../validate.js';
import { processExists } from './server-process.js';

export const EXPECT_KINDS = ['upper', 'echo', 'none'] as const;
/** How replies are checked: `upper` (the upper service), `echo` (unchanged), `none` (counted only). */
export type ExpectKind = (typeof EXPECT_KINDS)[number];

export const BENCH_MODES = ['request-reply', 'fanout'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

export const FANOUT_ADAPTERS = ['switchboard', 'line', 'ncat', 'nats', 'socketio'] as const;
/**
 * What speaks to the hub: switchboard's chat, a plain line relay, `ncat --chat`, nats-server, or
 * Socket.IO 4 (`bench/servers/socketio-chat.js`, over `ws://` only).
 */
export type FanoutAdapterName = (typeof FANOUT_ADAPTERS)[number];
/** The adapters that speak over a raw WebSocket client (`ws://` fan-out). */
const WEBSOCKET_ADAPTERS: ReadonlySet<FanoutAdapterName> = new Set(['switchboard', 'nats', 'socketio']);

/** 10 s: the default length of a run when neither duration nor messages is given. */
export const DEFAULT_DURATION_MS = 10_000;
/** 5 s: how long to wait for outstanding replies after the last send before calling them missing. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;
/** 5 s: how long to wait for each connection to open. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export interface BenchOptions {
  /**
   * The server: `tcp://127.0.0.1:8088`, `unix:///tmp/sb.sock`; `?framing=` sets the framing. Several
   * URLs are several nodes of one service (two switchboard processes on one Redis): connections
   * (request-reply) or members (fanout) are spread over them round-robin, the first on the first
   * URL; the fanout sender is on the first. Every URL must use the same transport and framing.
   */
  url: string | readonly string[];
  /** `request-reply` (every message gets one reply) or `fanout` (one sender, many members). @default 'request-reply' */
  mode?: BenchMode;
  /** Connections opened at once (request-reply). @default 1 */
  connections?: number;
  /**
   * Requests in flight per connection. In fanout mode: messages the sender may have out that not
   * every member has yet; 0 sends flat out, held back only by the socket's own backpressure.
   * @default 1 (request-reply), 0 (fanout)
   */
  pipeline?: number;
  /** Payload size in bytes (fanout: the text after any prefix the hub adds, without `\n`). @default 64 */
  size?: number;
  /** Stop sending after this long, in ms. Ignored when `messages` is given. @default 10000 */
  durationMs?: number;
  /** Stop after this many messages in all (split evenly across connections). */
  messages?: number;
  /** Framing of the messages; the URL's `?framing=` when absent, else `raw`. @default 'raw' */
  framing?: FramingName;
  /** How to check replies. @default 'upper' */
  expect?: ExpectKind;
  /** Fanout: members of the room. @default 10 */
  subscribers?: number;
  /** Fanout: what kind of hub the URL points at. @default 'switchboard' */
  adapter?: FanoutAdapterName;
  /** Seed of the deterministic payloads. @default 1 */
  seed?: number;
  /** Wait this long for outstanding replies after sending stops. @default 5000 */
  drainTimeoutMs?: number;
  /** Wait this long for each connection. @default 5000 */
  connectTimeoutMs?: number;
  /** Called about every 100 ms with how far the run is, from 0 to 1. */
  onProgress?: (fraction: number, done: number) => void;
  /**
   * The server process whose CPU time is measured: a PID, `'auto'` to find the process that
   * listens on the URL's port or socket path (this machine only), or `'off'`. A PID that does not
   * exist is a usage error; a server `'auto'` can't find is a note in the result, never an error.
   * Several PIDs (several nodes) are measured together: their CPU is summed, and each one's is
   * listed. With `'auto'` and several URLs, the process of each URL is looked up.
   * @default 'auto'
   */
  serverPid?: number | readonly number[] | 'auto' | 'off';
  /**
   * Processes the server depends on (a `redis-server` backplane), measured over the same interval
   * as the server and reported apart from it (`backplaneCpu`): part of the cost of what the
   * backplane promises, not of the server process. Each must be a running process.
   */
  backplanePid?: number | readonly number[];
}

/** One node of the service under test: a URL and where it points. */
export interface BenchTarget {
  readonly url: string;
  readonly endpoint: Endpoint;
  readonly host: string;
  readonly port: number;
  /** A Unix socket path instead of host/port. */
  readonly path: string | undefined;
}

export interface ResolvedBenchOptions {
  /** The first target's URL, endpoint and address (the fanout sender's node). */
  readonly url: string;
  readonly endpoint: Endpoint;
  readonly host: string;
  readonly port: number;
  /** A Unix socket path instead of host/port. */
  readonly path: string | undefined;
  /** Every node, the first one first; connections and members go round-robin over them. */
  readonly targets: readonly BenchTarget[];
  readonly mode: BenchMode;
  readonly connections: number;
  readonly pipeline: number;
  readonly size: number;
  readonly durationMs: number | undefined;
  readonly messages: number | undefined;
  readonly framing: FramingName;
  readonly expect: ExpectKind;
  readonly subscribers: number;
  readonly adapter: FanoutAdapterName;
  readonly seed: number;
  readonly drainTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly onProgress: ((fraction: number, done: number) => void) | undefined;
  readonly serverPid: readonly number[] | 'auto' | 'off';
  /** Empty when none was given. */
  readonly backplanePids: readonly number[];
}

function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  return wholeNumber(name, value, fallback, { min, max });
}

function resolveTargets(url: string | readonly string[]): BenchTarget[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new InvalidOptionError('give the URL of the server to measure');
  const targets = urls.map((u): BenchTarget => {
    const endpoint = parseEndpoint(u);
    return {
      url: u,
      endpoint,
      host: endpoint.host,
      port: endpoint.port,
      path: endpoint.transport === 'unix' ? endpoint.path : undefined,
    };
  });
  const first = targets[0]!;
  for (const t of targets.slice(1)) {
    if (t.endpoint.transport !== first.endpoint.transport) {
      throw new InvalidOptionError(
        `${t.url} and ${first.url} use different transports; the nodes of one run must use the same one`,
      );
    }
    if (t.endpoint.params.get('framing') !== first.endpoint.params.get('framing')) {
      throw new InvalidOptionError(
        `${t.url} and ${first.url} differ in ?framing=; the nodes of one run must use the same framing`,
      );
    }
  }
  return targets;
}

export function resolveBenchOptions(options: BenchOptions): ResolvedBenchOptions {
  const targets = resolveTargets(options.url);
  const { endpoint, url } = targets[0]!;
  const kind = transportFor(endpoint.transport).kind;
  if (kind === 'datagram') {
    throw new InvalidOptionError(`bench measures stream servers; ${url} is UDP — use tcp:// or unix://`);
  }
  const framingParam = endpoint.params.get('framing') ?? undefined;
  if (options.framing !== undefined && framingParam !== undefined && options.framing !== framingParam) {
    throw new InvalidOptionError(
      `--framing ${options.framing} contradicts ?framing=${framingParam} in the URL; give one of them`,
    );
  }
  const mode = oneOf('mode', options.mode, BENCH_MODES, 'request-reply');
  // Over WebSocket the framing is the generator's own, to split its writes into messages: one
  // request is one WebSocket message (lines for a chat hub's fan-out).
  const fallback = kind === 'message' ? (mode === 'fanout' ? 'line' : 'len32be') : 'raw';
  const framing = oneOf('framing', options.framing ?? framingParam, FRAMING_NAMES, fallback);
  const expect = oneOf('expect', options.expect, EXPECT_KINDS, 'upper');
  if (options.messages !== undefined && options.durationMs !== undefined) {
    throw new InvalidOptionError('give either --duration or --messages, not both');
  }
  const messages =
    options.messages === undefined ? undefined : whole('messages', options.messages, 0, 1, 2 ** 40);
  const durationMs =
    messages !== undefined
      ? undefined
      : whole('duration', options.durationMs, DEFAULT_DURATION_MS, 1, 86_400_000);
  const size = whole('size', options.size, 64, mode === 'fanout' ? 16 : 0, 16 * 1024 * 1024);
  const adapter = oneOf('adapter', options.adapter, FANOUT_ADAPTERS, 'switchboard');
  if (mode === 'fanout') checkAdapterTransport(adapter, endpoint.transport, url);
  if (framing === 'raw' && size === 0) {
    throw new InvalidOptionError('raw framing has no empty messages; use --size 1 or more');
  }
  return {
    ...targets[0]!,
    targets,
    mode,
    connections: whole('connections', options.connections, 1, 1, 100_000),
    pipeline: whole(
      'pipeline',
      options.pipeline,
      mode === 'fanout' ? 0 : 1,
      mode === 'fanout' ? 0 : 1,
      1_000_000,
    ),
    size,
    durationMs,
    messages,
    framing,
    expect,
    subscribers: whole('subscribers', options.subscribers, 10, 1, 100_000),
    adapter,
    seed: whole('seed', options.seed, 1, 0, 2 ** 31),
    drainTimeoutMs: whole('drainTimeout', options.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 0, 3_600_000),
    connectTimeoutMs: whole(
      'connectTimeout',
      options.connectTimeoutMs,
      DEFAULT_CONNECT_TIMEOUT_MS,
      1,
      3_600_000,
    ),
    onProgress: options.onProgress,
    serverPid: resolveServerPid(options.serverPid),
    backplanePids: resolvePids('backplane-pid', options.backplanePid ?? []),
  };
}

function checkAdapterTransport(adapter: FanoutAdapterName, transport: string, url: string): void {
  if (adapter === 'socketio' && transport !== 'ws') {
    throw new InvalidOptionError(
      `--adapter socketio speaks Socket.IO over WebSocket; give a ws:// URL (ws://HOST:PORT/socket.io/), not ${url}`,
    );
  }
  if (transport === 'ws' && !WEBSOCKET_ADAPTERS.has(adapter)) {
    throw new InvalidOptionError(
      `--adapter ${adapter} has no WebSocket fan-out; over ws:// use --adapter ${[...WEBSOCKET_ADAPTERS].join(', ')}`,
    );
  }
}

function resolveServerPid(
  pid: number | readonly number[] | 'auto' | 'off' | undefined,
): readonly number[] | 'auto' | 'off' {
  if (pid === undefined || pid === 'auto' || pid === 'off') return pid ?? 'auto';
  return resolvePids('server-pid', pid);
}

function resolvePids(flag: string, pid: number | readonly number[]): readonly number[] {
  const pids = typeof pid === 'number' ? [pid] : [...new Set(pid)];
  if (flag === 'server-pid' && pids.length === 0) {
    throw new InvalidOptionError('--server-pid: give at least one PID, or auto, or off');
  }
  for (const p of pids) {
    // A mistyped PID would measure nothing, or someone else's process: refuse it before the run.
    if (!Number.isSafeInteger(p) || p < 1 || !processExists(p)) {
      throw new InvalidOptionError(
        flag === 'server-pid'
          ? `--server-pid ${p}: no such process (or not visible in /proc); give the PID of the running server, or leave --server-pid out to find it from the URL`
          : `--${flag} ${p}: no such process (or not visible in /proc); give the PID of the running redis-server`,
      );
    }
  }
  return pids;
}
