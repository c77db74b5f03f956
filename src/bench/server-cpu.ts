/**
 * The server's CPU time over a run, from /proc: what the server spent per message, which stays
 * honest when the load generator (one Node process on one core) is the throughput ceiling.
 *
 * Two sources, sampled at the start and end of the measured interval:
 * - `/proc/PID/task/TID/schedstat`: nanoseconds on CPU per thread; summed over the threads, it is
 *   the finest figure, preferred when it accounts for the whole process (see `read`).
 * - `/proc/PID/stat` utime + stime: clock ticks (`getconf CLK_TCK`, normally 100 a second) for
 *   the whole process including threads that have exited; also the only user/system split.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { findServerProcess, type ServerAddress } from './server-process.js';

/** The server's CPU use over the measured interval. */
export interface ServerCpuUsage {
  /** The measured process (the first, when several hold the listening socket). */
  readonly pid: number;
  /** Every process measured; their CPU is summed. */
  readonly pids: readonly number[];
  /** Where `cpuMs` comes from: per-thread ns from `schedstat`, or clock ticks from `stat`. */
  readonly source: 'schedstat' | 'stat';
  /** User + system CPU time of the server during the run, in ms (from `source`). */
  readonly cpuMs: number;
  /** User CPU time from /proc/PID/stat, in ms: tick-granular (10 ms at CLK_TCK 100). */
  readonly userMs: number;
  /** System CPU time from /proc/PID/stat, in ms: tick-granular. */
  readonly systemMs: number;
  /** `cpuMs` as a percentage of the interval's wall-clock time (100 = one core busy throughout). */
  readonly percentOfOneCore: number;
  /** Server CPU µs per message: per reply (request-reply) or per sent message (fanout). */
  readonly usPerMessage: number;
  /** Fanout: server CPU µs per delivery (a message to one member). */
  readonly usPerDelivery?: number;
  /** With several processes (nodes): each one's share of `cpuMs`, in `pids` order. */
  readonly perProcess?: readonly ProcessCpuUsage[];
}

/** One measured process's CPU over the interval. */
export interface ProcessCpuUsage {
  readonly pid: number;
  /** From per-thread `schedstat` when it accounts for the whole process, else from `stat` ticks. */
  readonly cpuMs: number;
  readonly percentOfOneCore: number;
}

let clockTicks: number | undefined;

/** The kernel's clock tick rate for /proc/PID/stat (`getconf CLK_TCK`), 100 when it can't be asked. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
      clockTicks = Number.isSafeInteger(n) && n > 0 ? n : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcessSample {
  /** utime, stime in ticks; undefined when the process is gone. */
  readonly ticks: readonly [number, number] | undefined;
  /** Per-thread on-CPU ns by thread id; undefined without schedstat. */
  readonly threads: ReadonlyMap<number, number> | undefined;
}

/** utime and stime (fields 14 and 15 of proc(5)), in ticks. */
function readTicks(pid: number): [number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[11]), Number(fields[12])];
  } catch {
    return undefined;
  }
}

function readThreads(pid: number): Map<number, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads = new Map<number, number>();
  for (const tid of tids) {
    try {
      // schedstat: ns on CPU, ns waiting on a run queue, timeslices.
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (Number.isFinite(ns)) threads.set(Number(tid), ns);
    } catch {
      // The thread exited between readdir and read (it is then in no later sample either).
    }
  }
  // None readable: schedstat is not compiled into this kernel.
  return threads.size === 0 ? undefined : threads;
}

function sample(pid: number): ProcessSample {
  return { ticks: readTicks(pid), threads: readThreads(pid) };
}

/** Samples the server's CPU at construction; `read()` gives the use since then. */
export class ServerCpuMeter {
  private readonly start: ProcessSample[];
  private readonly startedAt = performance.now();

  constructor(readonly pids: readonly number[]) {
    this.start = pids.map(sample);
  }

  /**
   * CPU used since construction, with the per-unit figures for `messages` (and `deliveries`).
   * Returns undefined when a measured process is gone (it exited mid-run: nothing honest to say).
   */
  read(messages: number, deliveries?: number): ServerCpuUsage | undefined {
    const end = this.pids.map(sample);
    const wallMs = Math.max(performance.now() - this.startedAt, 1e-3);
    const msPerTick = 1000 / clockTicksPerSecond();
    let userTicks = 0;
    let systemTicks = 0;
    let schedNs = 0;
    let schedComplete = true;
    const each: { statMs: number; schedNs: number; complete: boolean }[] = [];
    for (let i = 0; i < this.pids.length; i++) {
      const a = this.start[i]!;
      const b = end[i]!;
      if (a.ticks === undefined || b.ticks === undefined) return undefined;
      const ticks = b.ticks[0] - a.ticks[0] + (b.ticks[1] - a.ticks[1]);
      userTicks += b.ticks[0] - a.ticks[0];
      systemTicks += b.ticks[1] - a.ticks[1];
      const one = { statMs: ticks * msPerTick, schedNs: 0, complete: true };
      each.push(one);
      if (a.threads === undefined || b.threads === undefined) {
        one.complete = false;
        continue;
      }
      // A thread that exited took its time with it: the per-thread sum then undercounts.
      for (const [tid, ns] of a.threads) {
        const later = b.threads.get(tid);
        if (later === undefined) one.complete = false;
        else one.schedNs += later - ns;
      }
      // Threads born during the run count from zero.
      for (const [tid, ns] of b.threads) if (!a.threads.has(tid)) one.schedNs += ns;
      schedNs += one.schedNs;
      if (!one.complete) schedComplete = false;
    }
    const statMs = (userTicks + systemTicks) * msPerTick;
    // Threads born and gone within the run escape the per-thread sum but not the process's ticks:
    // when the ticks say more than the sum plus two ticks of rounding (per process), trust the ticks.
    const trustSched = (complete: boolean, ms: number, ns: number, processes: number): boolean =>
      complete && ms <= ns / 1e6 + 2 * processes * msPerTick;
    const useSched = trustSched(schedComplete, statMs, schedNs, this.pids.length);
    const cpuMs = useSched ? schedNs / 1e6 : statMs;
    const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
    const perProcess =
      this.pids.length < 2
        ? undefined
        : each.map((one, i): ProcessCpuUsage => {
            const ms = trustSched(one.complete, one.statMs, one.schedNs, 1) ? one.schedNs / 1e6 : one.statMs;
            return {
              pid: this.pids[i]!,
              cpuMs: round(ms, 3),
              percentOfOneCore: round((ms / wallMs) * 100, 1),
            };
          });
    return {
      pid: this.pids[0]!,
      pids: this.pids,
      source: useSched ? 'schedstat' : 'stat',
      cpuMs: round(cpuMs, 3),
      userMs: round(userTicks * msPerTick, 3),
      systemMs: round(systemTicks * msPerTick, 3),
      percentOfOneCore: round((cpuMs / wallMs) * 100, 1),
      usPerMessage: messages > 0 ? round((cpuMs * 1000) / messages, 3) : 0,
      ...(deliveries !== undefined && {
        usPerDelivery: deliveries > 0 ? round((cpuMs * 1000) / deliveries, 4) : 0,
      }),
      ...(perProcess !== undefined && { perProcess }),
    };
  }
}

/**
 * The server's CPU for one run: found before the run (the /proc scan stays out of the measured
 * interval), sampled at `start()`, read at `finish()`. Never throws: a server that can't be found
 * is a note in the report, not a failure.
 */
export class ServerCpuProbe {
  private meter: ServerCpuMeter | undefined;

  private constructor(
    /** The processes to measure; undefined when there are none. */
    readonly pids: readonly number[] | undefined,
    /** Why the server's CPU is not measured, or a caveat about it. */
    readonly note: string | null,
  ) {}

  /**
   * Find the server: the `pids` given, looked up from every address when 'auto' (the processes of
   * all of them, summed: several nodes of one service), or 'off'.
   */
  static locate(
    pids: readonly number[] | 'auto' | 'off',
    addresses: ServerAddress | readonly ServerAddress[],
  ): ServerCpuProbe {
    if (pids === 'off') return new ServerCpuProbe(undefined, 'not measured (turned off)');
    if (pids !== 'auto') return new ServerCpuProbe(pids, ServerCpuProbe.caveat(pids));
    const found = new Set<number>();
    for (const address of Array.isArray(addresses) ? addresses : [addresses]) {
      const lookup = findServerProcess(address as ServerAddress);
      // Half the nodes would be a figure that looks right and is not: all of them or none.
      if (!lookup.found) return new ServerCpuProbe(undefined, `not measured: ${lookup.reason}`);
      for (const pid of lookup.pids) found.add(pid);
    }
    const all = [...found];
    return new ServerCpuProbe(all, ServerCpuProbe.caveat(all));
  }

  /** Processes given by PID (a backplane's redis-server); none when the list is empty. */
  static of(pids: readonly number[]): ServerCpuProbe {
    return new ServerCpuProbe(pids.length === 0 ? undefined : pids, null);
  }

  private static caveat(pids: readonly number[]): string | null {
    // A server inside this very process (a library user's, or a test's) shares our CPU figures.
    return pids.includes(process.pid)
      ? 'the server runs inside the bench process: its CPU includes the load generator'
      : null;
  }

  /** The measured interval begins. */
  start(): void {
    if (this.pids !== undefined) this.meter = new ServerCpuMeter(this.pids);
  }

  /** The measured interval ends: the server's CPU per `messages` (and `deliveries`), and the note. */
  finish(
    messages: number,
    deliveries?: number,
  ): { serverCpu: ServerCpuUsage | null; serverCpuNote: string | null } {
    if (this.meter === undefined) return { serverCpu: null, serverCpuNote: this.note };
    const usage = this.meter.read(messages, deliveries);
    if (usage === undefined) {
      return {
        serverCpu: null,
        serverCpuNote: `not measured: process ${this.meter.pids.join(', ')} exited during the run`,
      };
    }
    return { serverCpu: usage, serverCpuNote: this.note };
  }
}
