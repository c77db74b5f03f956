import * as hdr from 'hdr-histogram-js';

/** Latency percentiles in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly minUs: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

/**
 * An HDR histogram of latencies recorded in nanoseconds (3 significant digits: ±0.1 %), so a 20 µs
 * loopback round trip is resolved as finely as a 2 s stall.
 */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000, // one hour in ns
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  /** Record one latency given in milliseconds (as `performance.now()` differences are). */
  recordMs(ms: number): void {
    // hdr records integers; a negative or zero difference (clock granularity) counts as 1 ns.
    this.h.recordValue(ms > 0 ? Math.round(ms * 1e6) : 1);
  }

  /**
   * Record one latency, batching equal values: requests written together and answered in one read
   * have the same latency, and one recordValueWithCount() is cheaper than sixteen recordValue().
   */
  recordBatchedMs(ms: number): void {
    const ns = ms > 0 ? Math.round(ms * 1e6) : 1;
    if (ns === this.pendingValue) {
      this.pendingCount++;
      return;
    }
    this.flush();
    this.pendingValue = ns;
    this.pendingCount = 1;
  }

  /** Record what recordBatchedMs() is holding back. */
  flush(): void {
    if (this.pendingCount > 0) this.h.recordValueWithCount(this.pendingValue, this.pendingCount);
    this.pendingCount = 0;
    this.pendingValue = -1;
  }

  private pendingValue = -1;
  private pendingCount = 0;

  summary(): LatencySummary {
    this.flush();
    const us = (ns: number): number => Math.round(ns / 10) / 100;
    const h = this.h;
    if (h.totalCount === 0) {
      return { count: 0, minUs: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
    }
    return {
      count: h.totalCount,
      minUs: us(h.minNonZeroValue),
      meanUs: us(h.mean),
      p50Us: us(h.getValueAtPercentile(50)),
      p90Us: us(h.getValueAtPercentile(90)),
      p99Us: us(h.getValueAtPercentile(99)),
      p999Us: us(h.getValueAtPercentile(99.9)),
      maxUs: us(h.maxValue),
    };
  }
}
