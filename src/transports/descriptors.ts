import { readdirSync, readFileSync } from 'node:fs';
import { OutOfDescriptorsError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Issue 13, item 5: out of descriptors is said, not silent.
 *
 * When a process reaches its descriptor limit, accept() fails with EMFILE. Node never tells:
 * libuv then accepts the waiting connections on a descriptor it keeps in reserve and closes them
 * at once (`uv__emfile_trick`), so clients are reset on every listener and neither 'error' nor
 * 'drop' is emitted (measured on Node 20 with `ulimit -n 64`). A paused listener, as nginx and
 * NATS do, is not reachable from JavaScript either.
 *
 * So we watch from our side: every accepted connection is counted, the descriptors in use are
 * read from /proc/self/fd near the limit (and once a second while connections are open), and
 * when fewer than a small reserve are left, new connections are refused by us — each counted,
 * the episode logged once with the limit and what to raise — which also keeps a few descriptors
 * for the server's own work (logs, DNS, outgoing connections). Linux only (/proc); elsewhere this
 * is inert.
 */

/** Descriptors kept free; connections that would eat into them are refused. */
export const DESCRIPTOR_RESERVE = 16;
/** While out of descriptors, the exact count is read again at most this often. */
const RECHECK_MS = 100;
const RESYNC_MS = 1000;

export interface DescriptorStats {
  /** The soft limit (`ulimit -n`), or undefined where it cannot be read. */
  readonly limit: number | undefined;
  /** The hard limit: how far `ulimit -n` can be raised without privileges. */
  readonly hardLimit: number | undefined;
  /** Descriptors in use at the last count. */
  readonly inUse: number;
  /** Episodes of running out since start. */
  readonly exhaustions: number;
  /** Connections refused because descriptors ran out. */
  readonly refused: number;
}

function readLimits(): { soft: number | undefined; hard: number | undefined } {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s+/).slice(3, 5);
    const toNumber = (v: string | undefined): number | undefined =>
      v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
    return { soft: toNumber(soft), hard: toNumber(hard) };
  } catch {
    return { soft: undefined, hard: undefined };
  }
}

function countOpen(): number | undefined {
  try {
    // One entry is the directory's own descriptor, open while it is read.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** The process's descriptors, watched for every listener (the limit is the process's). */
export class DescriptorWatch {
  readonly limit: number | undefined;
  readonly hardLimit: number | undefined;
  private open = 0;
  /** Descriptors not held by accepted connections (listeners, stdio, files, clients), last counted. */
  private others = 0;
  private lastCount = 0;
  private lastCheck = 0;
  private exhausted = false;
  private episodeRefused = 0;
  private timer: NodeJS.Timeout | undefined;
  exhaustions = 0;
  refused = 0;
  /** Where episodes are told; the CLI sets it. Without one, the counters still count. */
  logger: Logger | undefined;

  constructor(limits = readLimits()) {
    this.limit = limits.soft;
    this.hardLimit = limits.hard;
    this.resync();
  }

  get stats(): DescriptorStats {
    return {
      limit: this.limit,
      hardLimit: this.hardLimit,
      inUse: this.lastCount,
      exhaustions: this.exhaustions,
      refused: this.refused,
    };
  }

  /**
   * A connection was accepted (its descriptor is open). Returns false when it must be refused:
   * taking it would leave fewer than DESCRIPTOR_RESERVE descriptors.
   */
  admit(listener: string): boolean {
    if (this.limit === undefined) return true;
    const ceiling = this.limit - Math.min(DESCRIPTOR_RESERVE, Math.floor(this.limit / 8));
    const now = Date.now();
    let inUse = this.open + 1 + this.others;
    // Near the edge, count exactly (the new socket's descriptor included); while out, at most
    // every 100 ms, refusing in between: a short back-off instead of a readdir per refused client.
    const recount = this.exhausted ? now - this.lastCheck >= RECHECK_MS : inUse >= ceiling - 8;
    if (recount) {
      this.resync();
      inUse = this.lastCount;
      this.lastCheck = now;
    } else if (this.exhausted) {
      inUse = Math.max(inUse, this.lastCount);
    }
    if (inUse >= ceiling) {
      this.refused++;
      this.episodeRefused++;
      if (!this.exhausted) this.startEpisode(inUse, listener);
      return false;
    }
    if (this.exhausted && inUse < ceiling - DESCRIPTOR_RESERVE / 2) this.endEpisode(inUse);
    this.open++;
    this.ensureTimer();
    return true;
  }

  /** An accepted connection's descriptor was closed. */
  release(): void {
    if (this.open > 0) this.open--;
  }

  private startEpisode(inUse: number, listener: string): void {
    this.exhausted = true;
    this.exhaustions++;
    this.episodeRefused = 1;
    const error = new OutOfDescriptorsError(inUse, this.limit ?? inUse, this.hardLimit);
    this.logger?.error(
      { code: error.code, inUse, limit: this.limit, hardLimit: this.hardLimit, listener },
      error.message,
    );
  }

  private endEpisode(inUse: number): void {
    this.exhausted = false;
    this.logger?.info(
      { inUse, limit: this.limit, refused: this.episodeRefused },
      `file descriptors available again (${inUse} of ${this.limit} in use); ${this.episodeRefused} connection(s) were refused meanwhile`,
    );
    this.episodeRefused = 0;
  }

  private resync(): void {
    const count = countOpen();
    if (count === undefined) return;
    this.lastCount = count;
    this.others = Math.max(0, count - this.open);
  }

  /** Once a second while connections are open: catch what is not ours (files, clients, a leak). */
  private ensureTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.resync();
      if (this.limit !== undefined) {
        const ceiling = this.limit - Math.min(DESCRIPTOR_RESERVE, Math.floor(this.limit / 8));
        if (this.exhausted && this.lastCount < ceiling - DESCRIPTOR_RESERVE / 2)
          this.endEpisode(this.lastCount);
        // Descriptors that are not our connections (files, clients, a leak) can run out too.
        if (!this.exhausted && this.lastCount >= ceiling) this.startEpisode(this.lastCount, 'all');
      }
      if (this.open === 0 && !this.exhausted) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, RESYNC_MS);
    this.timer.unref();
  }
}

/** The one watch of this process. */
export const descriptors = new DescriptorWatch();

/** A socket's 'close' listener, shared by all (no closure per connection). */
export function releaseDescriptor(): void {
  descriptors.release();
}
