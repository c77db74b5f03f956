import type { Member } from './member.js';

/** Bounded publisher backpressure (DESIGN §6): how long a congested recipient may hold senders back. */
export interface StallLimits {
  /** Longest a sender is held for one congested write before it reads again. */
  readonly stallMs: number;
  /**
   * A congested recipient whose socket has taken nothing for this long has stopped reading: it
   * holds nobody back any more, and is cut when it reaches its queue cap.
   */
  readonly stallBudgetMs: number;
}

/** What the stalls cost, for the log and the metrics. */
export interface StallStats {
  /** Times a sender was held back for a congested recipient. */
  stalls: number;
  /** Total ms senders were held back (summed per recipient episode). */
  stalledMs: number;
  /** Longest single hold, in ms. */
  longestStallMs: number;
  /** Congested writes that held nobody back: the recipient had stopped reading. */
  overBudget: number;
}

interface Episode {
  /** When the recipient's socket last took bytes while it was congested. */
  progressAt: number;
  /** How many bytes its socket had taken then. */
  taken: number;
  readonly held: Set<Member>;
  heldSince: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * While a recipient's queue is above its high-water mark, the senders whose lines put it there stop
 * being read, until it drains or `stallMs` passes (NATS 2.11 stalls producers the same way).
 * A reader slower than the senders sets their pace this way, at most `stallMs` per write. A
 * recipient whose socket takes nothing for `stallBudgetMs` is not reading at all: holding senders
 * for it would let one frozen member set the pace of the room (the ncat freeze), so it stops.
 */
export class PublisherStalls {
  readonly stats: StallStats = { stalls: 0, stalledMs: 0, longestStallMs: 0, overBudget: 0 };
  private readonly episodes = new Map<Member, Episode>();

  constructor(
    private readonly limits: (recipient: Member) => StallLimits,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /**
   * `recipient` is above its mark after a write: hold back `senders`. `taken` counts the bytes its
   * socket has taken so far (it grows while the recipient reads).
   */
  congested(recipient: Member, senders: Iterable<Member>, taken: number): void {
    const { stallMs, stallBudgetMs } = this.limits(recipient);
    const t = this.now();
    let episode = this.episodes.get(recipient);
    if (episode === undefined) {
      episode = { progressAt: t, taken, held: new Set(), heldSince: t, timer: undefined };
      this.episodes.set(recipient, episode);
    } else if (taken > episode.taken) {
      episode.progressAt = t;
      episode.taken = taken;
    }
    if (t - episode.progressAt > stallBudgetMs) {
      this.stats.overBudget++;
      return;
    }
    for (const sender of senders) {
      if (sender === recipient || sender.gone || episode.held.has(sender)) continue;
      if (episode.held.size === 0) episode.heldSince = t;
      sender.session.pauseInput();
      episode.held.add(sender);
      this.stats.stalls++;
    }
    if (episode.held.size > 0 && episode.timer === undefined) {
      const ep = episode;
      ep.timer = setTimeout(() => this.release(ep), stallMs);
    }
  }

  /** The recipient's queue emptied: its senders read again and its episode is over. */
  drained(recipient: Member): void {
    const episode = this.episodes.get(recipient);
    if (episode === undefined) return;
    this.release(episode);
    this.episodes.delete(recipient);
  }

  /** The member left: release whoever it held back. */
  forget(member: Member): void {
    this.drained(member);
  }

  /** Release everyone: the hub is closing. */
  releaseAll(): void {
    for (const member of [...this.episodes.keys()]) this.drained(member);
  }

  private release(episode: Episode): void {
    clearTimeout(episode.timer);
    episode.timer = undefined;
    if (episode.held.size === 0) return;
    const held = this.now() - episode.heldSince;
    this.stats.stalledMs += held;
    if (held > this.stats.longestStallMs) this.stats.longestStallMs = held;
    for (const sender of episode.held) sender.session.resumeInput();
    episode.held.clear();
  }
}
