/**
 * `switchboard bench` as a library (STYLE: benchmarks are library code; the CLI only parses flags).
 */
import { runFanout } from './fanout.js';
import { resolveBenchOptions, type BenchOptions } from './options.js';
import { runRequestReply } from './request-reply.js';
import type { BenchResult } from './result.js';

/**
 * Run one benchmark against a server and check every reply.
 * @throws InvalidOptionError on bad options (a `serverPid` that is no running process included); a
 *   connection error when the target can't be reached. A server whose CPU can't be measured is not
 *   an error: `result.serverCpu` is null and `result.serverCpuNote` says why.
 *   Wrong, missing or unexpected replies don't throw: they are counted in `result.errors`, and
 *   `result.ok` is false.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const resolved = resolveBenchOptions(options);
  return resolved.mode === 'fanout' ? runFanout(resolved) : runRequestReply(resolved);
}

export { resolveBenchOptions } from './options.js';
export type { BenchOptions, BenchMode, ExpectKind, FanoutAdapterName } from './options.js';
export type { BenchResult, BenchErrors, RequestReplyResult, FanoutResult } from './result.js';
export type { LatencySummary } from './histogram.js';
export type { CpuUsage } from './cpu.js';
export { GENERATOR_SATURATED_PERCENT } from './cpu.js';
export type { ServerCpuUsage } from './server-cpu.js';
export { findServerProcess } from './server-process.js';
export type { ServerAddress, ServerProcessLookup } from './server-process.js';
export { formatResult, formatJson } from './report.js';
