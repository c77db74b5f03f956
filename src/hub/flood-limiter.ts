/** After this long without a delayed line, a member's flood episode is over (the next one is told again). */
export const FLOOD_EPISODE_GAP_MS = 1_000;

/**
 * A token bucket per member: `rate` lines a second with bursts of up to `burst`. A line over the
 * limit is not refused but delayed (DESIGN §6, IRC servers' "fake lag"): `take()` says how long the
 * member's reading must pause before that line goes out. Lines are taken one after another, each
 * after the wait the previous one was given, so the member is held to the rate and loses nothing.
 */
export class FloodLimiter {
  private tokens: number;
  private last: number;
  private lastDelayed = -Infinity;
  private episodeStart = false;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Take a token for one line: the ms to wait before relaying it (0: at once). */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // The debt is paid by waiting: after `wait` ms the bucket is back at zero, not below.
    this.episodeStart = t - this.lastDelayed >= FLOOD_EPISODE_GAP_MS;
    this.lastDelayed = t;
    return (-this.tokens / this.rate) * 1000;
  }

  /** True when the last delayed line began a new episode: the member is told once per episode. */
  get newEpisode(): boolean {
    return this.episodeStart;
  }
}
