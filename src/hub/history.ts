/** The last `size` lines of a room, oldest first, in a fixed ring: memory never grows past it. */
export class History {
  private readonly lines: Array<Buffer | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.lines = new Array<Buffer | undefined>(size);
  }

  /** Keep a line. It is copied: a relayed line may be a view into a socket chunk (STYLE). */
  add(line: string): void {
    if (this.size === 0) return;
    this.lines[this.next] = Buffer.from(line, 'utf8');
    this.next = (this.next + 1) % this.size;
    this.count = Math.min(this.count + 1, this.size);
  }

  /** Oldest first. */
  entries(): Buffer[] {
    const out: Buffer[] = [];
    const start = (this.next - this.count + this.size) % Math.max(this.size, 1);
    for (let i = 0; i < this.count; i++) out.push(this.lines[(start + i) % this.size]!);
    return out;
  }
}
