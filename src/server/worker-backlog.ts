/**
 * What the primary has sent a worker that the worker's channel has not taken yet. node:cluster
 * queues every message a worker does not read — a worker SIGSTOPped, or stuck in a loop, makes the
 * primary's memory grow for as long as chat goes on — and `send()` returning false says only that
 * the queue passed 128 KiB. So the primary counts: each send is recorded, each send's callback
 * (the message handed to the OS) takes it off, oldest first, and a worker that lets too many wait,
 * or one wait too long, is cut — as the hub cuts the member that cannot keep up (DESIGN §6).
 */

/** Messages waiting for a worker before the primary cuts it. */
export const DEFAULT_WORKER_BACKLOG = 100_000;
/** How long a message may wait for a worker before the primary cuts it. */
export const DEFAULT_WORKER_STALL_MS = 5_000;

export class WorkerBacklog {
  /** Sends not yet taken, oldest first: when each went, and how many messages it held. */
  private readonly at: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
  /** Messages waiting, over all sends not yet taken. */
  waiting = 0;

  constructor(
    readonly limit: number,
    readonly stallMs: number,
  ) {}

  /** A send of `count` messages went out at `now` (ms). */
  sent(count: number, now: number): void {
    this.at.push(now);
    this.counts.push(count);
    this.waiting += count;
  }

  /** The oldest send not yet taken was taken (callbacks come in the order of the sends). */
  taken(): void {
    if (this.head >= this.at.length) return;
    this.waiting -= this.counts[this.head]!;
    this.head++;
    if (this.head === this.at.length) {
      this.at.length = 0;
      this.counts.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.at.length) {
      // A worker that is always a little behind never empties the queue: drop the taken part.
      this.at.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Why the worker should be cut now, or undefined while it keeps up. */
  overdue(now: number): string | undefined {
    if (this.waiting > this.limit) return `${this.waiting} messages wait for it (limit ${this.limit})`;
    if (this.head < this.at.length && now - this.at[this.head]! > this.stallMs) {
      return `it has not taken a message for ${Math.round(now - this.at[this.head]!)} ms (limit ${this.stallMs} ms; ${this.waiting} waiting)`;
    }
    return undefined;
  }
}
