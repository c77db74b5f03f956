import type { CpuUsage } from './cpu.js';
import type { ServerCpuUsage } from './server-cpu.js';
import type { LatencySummary } from './histogram.js';
import type { ExpectKind, FanoutAdapterName } from './options.js';
import type { FramingName } from '../framing/codec.js';

/** Problems a run found; any non-zero count makes the run fail (exit 1). */
export interface BenchErrors {
  /** Replies whose bytes differ from the expected reply. */
  wrong: number;
  /** Requests that never got a reply (server closed, or the drain deadline passed). */
  missing: number;
  /** Replies (or reply bytes) beyond what was asked for. */
  unexpected: number;
  /** Connections that failed to open, were reset, or were closed by the server mid-run. */
  connections: number;
  /** Fanout: messages a member saw again or out of order. */
  repeats: number;
  /** Fanout: messages a member skipped (a later one arrived first), counted per member. */
  gaps: number;
  /** The first few problems, one readable line each. */
  samples: string[];
}

export function emptyErrors(): BenchErrors {
  return { wrong: 0, missing: 0, unexpected: 0, connections: 0, repeats: 0, gaps: 0, samples: [] };
}

export function errorTotal(e: BenchErrors): number {
  return e.wrong + e.missing + e.unexpected + e.connections + e.repeats + e.gaps;
}

const MAX_SAMPLES = 10;

export function noteError(e: BenchErrors, line: string): void {
  if (e.samples.length < MAX_SAMPLES) e.samples.push(line);
}

interface CommonResult {
  readonly url: string;
  readonly framing: FramingName;
  readonly size: number;
  /** Wall-clock time from the first send to the last reply or delivery, in ms. */
  readonly durationMs: number;
  readonly latency: LatencySummary;
  readonly errors: BenchErrors;
  /** The load generator's own CPU use: near 100 % means it, not the server, was the limit. */
  readonly cpu: CpuUsage;
  /**
   * True when the generator used at least `GENERATOR_SATURATED_PERCENT` (90 %) of its core: the
   * throughput is then the generator's ceiling, and `serverCpu.usPerMessage` is the figure to
   * compare servers by.
   */
  readonly generatorSaturated: boolean;
  /** The server's CPU over the run (see `BenchOptions.serverPid`); null when not measured. */
  readonly serverCpu: ServerCpuUsage | null;
  /** Why `serverCpu` is null, or a caveat about it; null when there is nothing to say. */
  readonly serverCpuNote: string | null;
  /** With several URLs: every node's, the first (the fanout sender's node) first. */
  readonly urls?: readonly string[];
  /**
   * The backplane's processes (`backplanePid`: a redis-server) over the same interval as
   * `serverCpu`, per message and delivery of the run; null when one exited mid-run. Absent when
   * no backplane PID was given.
   */
  readonly backplaneCpu?: ServerCpuUsage | null;
  /** True when no error of any kind was found. */
  readonly ok: boolean;
}

export interface RequestReplyResult extends CommonResult {
  readonly mode: 'request-reply';
  readonly expect: ExpectKind;
  readonly connections: number;
  readonly pipeline: number;
  /** Requests sent. */
  readonly sent: number;
  /** Replies received (correct or not). */
  readonly received: number;
  /** Replies per second. */
  readonly messagesPerSec: number;
  /** Payload megabytes (10^6) per second, one way. */
  readonly mbPerSec: number;
}

export interface FanoutResult extends CommonResult {
  readonly mode: 'fanout';
  readonly adapter: FanoutAdapterName;
  readonly subscribers: number;
  readonly pipeline: number;
  /** Messages the sender sent. */
  readonly sent: number;
  /** Messages received by members, all members together. */
  readonly deliveries: number;
  readonly messagesPerSec: number;
  readonly deliveriesPerSec: number;
  /** With several URLs: each node's members (round-robin) and the deliveries they received. */
  readonly perNode?: readonly {
    readonly url: string;
    readonly members: number;
    readonly deliveries: number;
  }[];
}

export type BenchResult = RequestReplyResult | FanoutResult;
