/** After this long without a refused line, a member's refusals are forgiven. */
export const FLOOD_FORGIVE_MS = 1_000;

export type FloodVerdict = 'ok' | 'refused' | 'disconnect';

/**
 * A token bucket per member: `rate` lines a second with bursts of up to `burst`. A line over the
 * limit is refused; a member who keeps flooding after being told — more than `burst` refused lines
 * with no quiet second between them — is disconnected.
 */
export class FloodLimiter {
  private tokens: number;
  private last: number;
  /** Lines refused in the current run: since the last second without a refusal. */
  private refused = 0;
  private lastRefusal = -Infinity;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** 'ok' to relay, 'refused' (tell the member once a run), or 'disconnect' (it went on). */
  take(): FloodVerdict {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    // A run ends only after a quiet second: a member steadily over the rate, whose lines are
    // sometimes let through, is still flooding (and is told once, not once per crossing).
    if (t - this.lastRefusal >= FLOOD_FORGIVE_MS) this.refused = 0;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    this.refused++;
    this.lastRefusal = t;
    return this.refused > this.burst ? 'disconnect' : 'refused';
  }

  /** True only for the first refusal of a run, so the notice is sent once per run. */
  get firstRefusal(): boolean {
    return this.refused === 1;
  }
}
