import type { RoomSnapshot, SequencedLine } from './backplane.js';

/**
 * A room's last lines with their numbers, oldest first, in a fixed ring: what joiners are shown
 * (history) and what a returning client recovers from (resume). Memory never grows past it: at
 * most `capacity` lines and about `maxBytes` of text, whichever comes first.
 */
export class RoomLog {
  private readonly ring: Array<SequencedLine | undefined>;
  private next = 0;
  private count = 0;
  private bytes = 0;
  /** The room's epoch and last sequence number as this node knows them. */
  epoch: string;
  top: number;

  constructor(
    readonly capacity: number,
    snapshot: RoomSnapshot,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.ring = new Array<SequencedLine | undefined>(capacity);
    this.epoch = snapshot.epoch;
    this.top = snapshot.top;
    for (const line of snapshot.lines.slice(-capacity)) this.keep(line);
  }

  /** A line in order: the next number of the current epoch, or the first of a new one. */
  add(line: SequencedLine): void {
    if (line.epoch !== this.epoch) {
      this.epoch = line.epoch;
      this.count = 0;
      this.bytes = 0;
    }
    this.top = line.seq;
    this.keep(line);
  }

  /** A new epoch has begun with nothing said in it yet. */
  restart(epoch: string): void {
    this.epoch = epoch;
    this.top = 0;
    this.count = 0;
    this.bytes = 0;
  }

  /** The last `n` lines, oldest first. */
  last(n: number): SequencedLine[] {
    const take = Math.min(n, this.count);
    const out: SequencedLine[] = [];
    for (let i = this.count - take; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  /**
   * The lines after `seq` in `epoch`, oldest first — or undefined when the log no longer reaches
   * back that far (or the epoch is another): that gap cannot be filled.
   */
  after(epoch: string, seq: number): SequencedLine[] | undefined {
    if (epoch !== this.epoch || seq > this.top) return undefined;
    const missing = this.top - seq;
    if (missing > this.count) return undefined;
    return this.last(missing);
  }

  /** The oldest sequence number the log still holds (top + 1 if it holds none). */
  get oldest(): number {
    return this.top - this.count + 1;
  }

  private keep(line: SequencedLine): void {
    if (this.capacity === 0) return;
    if (this.count === this.capacity) this.bytes -= sizeOf(this.at(0));
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.bytes += sizeOf(line);
    // Over the byte bound: the oldest lines go first (the newest is always kept).
    while (this.bytes > this.maxBytes && this.count > 1) {
      this.bytes -= sizeOf(this.at(0));
      this.ring[(this.next - this.count + this.capacity) % this.capacity] = undefined;
      this.count--;
    }
  }

  private at(i: number): SequencedLine {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    return this.ring[(start + i) % this.capacity]!;
  }
}

/**
 * What a kept line costs, roughly: its text (a byte a character in V8 for Latin-1 text, the common
 * case; two for other text, which this undercounts) and the object around it.
 */
function sizeOf(line: SequencedLine): number {
  return line.text.length + line.nick.length + 96;
}
