/**
 * The load generator's own CPU use, so a reader can tell when the generator, not the server, was
 * the limit: near 100 % of one core means the figures are a floor for the server's capacity.
 */
export interface CpuUsage {
  /** User + system CPU time of this process during the run, in ms. */
  readonly cpuMs: number;
  /** That time as a percentage of the run's wall-clock time (100 = one core busy throughout). */
  readonly percentOfOneCore: number;
}

/**
 * 90 %: the generator is one single-threaded Node process; at this share of its core it is the
 * throughput ceiling (its GC threads make the last few percent noisy, hence not 100).
 */
export const GENERATOR_SATURATED_PERCENT = 90;

export class CpuMeter {
  private readonly start = process.cpuUsage();
  private readonly startedAt = performance.now();

  read(): CpuUsage {
    const used = process.cpuUsage(this.start);
    const cpuMs = (used.user + used.system) / 1000;
    const wallMs = Math.max(performance.now() - this.startedAt, 1e-3);
    return { cpuMs: Math.round(cpuMs), percentOfOneCore: Math.round((cpuMs / wallMs) * 1000) / 10 };
  }
}
