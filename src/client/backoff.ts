export interface BackoffOptions {
  /** First delay before reconnecting, in ms. @default 250 */
  initialDelayMs?: number;
  /** Longest delay between attempts, in ms. @default 8000 */
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row; 0 = never. @default 0 */
  maxAttempts?: number;
}

/**
 * Exponential backoff with "full jitter" (a random delay up to the exponential bound), so that many
 * clients cut off together do not all come back in the same instant.
 */
export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  readonly maxAttempts: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initial = options.initialDelayMs ?? 250;
    this.max = options.maxDelayMs ?? 8000;
    this.maxAttempts = options.maxAttempts ?? 0;
  }

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, or undefined when attempts are used up. */
  next(): number | undefined {
    if (this.maxAttempts > 0 && this.attempt >= this.maxAttempts) return undefined;
    const bound = Math.min(this.max, this.initial * 2 ** this.attempt);
    this.attempt++;
    return Math.round(bound / 2 + (this.random() * bound) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
