/**
 * A token bucket per member: `rate` lines a second with bursts of up to `burst`. A line over the
 * limit is refused; a member who keeps flooding after being told is disconnected.
 */
export class FloodLimiter {
  private tokens: number;
  private last: number;
  /** Lines refused since the member last stayed within the limit. */
  private refusedInARow = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** 'ok' to relay, 'refused' (tell the member once), or 'disconnect' (it went on). */
  take(): 'ok' | 'refused' | 'disconnect' {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return 'ok';
    }
    this.refusedInARow++;
    return this.refusedInARow > this.burst ? 'disconnect' : 'refused';
  }

  /** True only for the first refusal of a run, so the notice is sent once per crossing. */
  get firstRefusal(): boolean {
    return this.refusedInARow === 1;
  }
}
