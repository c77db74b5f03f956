import { writeSync } from 'node:fs';
import { pino, stdSerializers, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

/** The library logs nothing unless handed a logger. */
export const silentLogger: Logger = pino({ level: 'silent' });

// ---- a destination that never blocks -------------------------------------------------------

/** Log bytes held while stderr does not take them; past it, lines are dropped and counted. */
export const DEFAULT_LOG_BUFFER_BYTES = 256 * 1024;
/** How often a blocked stderr is tried again. */
const LOG_RETRY_MS = 50;

export interface StderrDestinationOptions {
  /** The file descriptor to write to. @default 2 (stderr) */
  fd?: number;
  /** Bytes held while the descriptor is blocked; further lines are dropped. @default 256 KiB */
  maxBufferedBytes?: number;
  /** Turns each JSON line into what is written (pino-pretty on a terminal); as is by default. */
  format?: (line: string) => string;
}

function isWouldBlock(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/**
 * A pino destination that never blocks the event loop (issue 13, item 6). pino's synchronous
 * stderr froze the server when stderr was a pipe whose reader stopped (a stuck log shipper,
 * `serve 2>&1 | less`): after ~64 KB of log every write waited, SIGTERM's handler included.
 *
 * A line is written at once with a non-blocking `writeSync` when nothing is waiting, so in the
 * common case it is on stderr before `log()` returns and nothing is lost at exit. When the pipe is
 * full (EAGAIN) or takes part of a write, the rest waits in memory, up to `maxBufferedBytes`, and
 * is retried every 50 ms; lines past the budget are dropped and counted, and once the pipe has
 * taken everything again one line says how many were dropped.
 *
 * Not `fs.write` (threadpool) nor sonic-boom's async mode: on a pipe in blocking mode, a write
 * stuck in a threadpool thread keeps `process.exit()` from returning (measured: exit waited for
 * the reader). Node puts a stderr pipe in non-blocking mode when it creates `process.stderr`,
 * which the constructor makes sure of; files never block. (A terminal stopped with Ctrl-S can
 * still hold a write, as for any program.)
 */
export class StderrDestination implements DestinationStream {
  private readonly fd: number;
  private readonly maxBufferedBytes: number;
  private readonly format: ((line: string) => string) | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private droppedSinceWrite = 0;
  private broken = false;
  /** Lines dropped since start because stderr was blocked past the budget (or gone). */
  droppedLines = 0;

  constructor(options: StderrDestinationOptions = {}) {
    this.fd = options.fd ?? 2;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_LOG_BUFFER_BYTES;
    this.format = options.format;
    // Creating process.stderr puts a pipe on fd 2 in non-blocking mode (libuv's uv_pipe_open).
    if (this.fd === 2) void process.stderr;
  }

  /** Bytes waiting for the descriptor to take them. */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  write(line: string): void {
    if (this.broken) {
      this.droppedLines++;
      return;
    }
    const bytes = Buffer.from(this.format === undefined ? line : this.format(line), 'utf8');
    if (this.queuedBytes + bytes.length > this.maxBufferedBytes) {
      this.droppedLines++;
      this.droppedSinceWrite++;
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.timer === undefined) this.drain(true);
  }

  /** One non-blocking attempt to write out what waits (at exit: never wait for the reader). */
  flushOnce(): void {
    if (this.queue.length > 0 && !this.broken) this.drain(false);
  }

  private droppedNote(count: number): Buffer {
    const line = `${JSON.stringify({
      level: 40,
      time: Date.now(),
      dropped: count,
      msg: `${count} log line${count === 1 ? '' : 's'} dropped while stderr was blocked`,
    })}\n`;
    return Buffer.from(this.format === undefined ? line : this.format(line), 'utf8');
  }

  private drain(retry: boolean): void {
    this.timer = undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let written: number;
      try {
        written = writeSync(this.fd, head);
      } catch (err) {
        if (isWouldBlock(err)) break;
        // EPIPE (nobody reads stderr any more) or worse: stop trying, count what is lost.
        this.broken = true;
        this.droppedLines += this.queue.length;
        this.queue = [];
        this.queuedBytes = 0;
        return;
      }
      this.queuedBytes -= written;
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        break;
      }
      this.queue.shift();
      if (this.queue.length === 0 && this.droppedSinceWrite > 0) {
        // The pipe moved again and took everything: say how much was lost, once.
        const note = this.droppedNote(this.droppedSinceWrite);
        this.droppedSinceWrite = 0;
        this.queue.push(note);
        this.queuedBytes += note.length;
      }
    }
    if (this.queue.length === 0) {
      waiting.delete(this);
      return;
    }
    // At exit, one last non-blocking try; one 'exit' listener for all destinations with a backlog.
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', () => waiting.forEach((d) => d.flushOnce()));
    }
    waiting.add(this);
    if (retry) {
      this.timer = setTimeout(() => this.drain(true), LOG_RETRY_MS);
      this.timer.unref();
    }
  }
}

/** Destinations holding lines stderr has not taken yet. */
const waiting = new Set<StderrDestination>();
let exitHooked = false;

// ---- what a line says --------------------------------------------------------------------

/**
 * Errors with a stable code are expected conditions (a peer's bad frame, a reset): logged as one
 * line with type, code and message, no stack. Anything else keeps its stack: it is a bug to find.
 */
function serializeError(err: unknown): unknown {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    const { code, peer } = err as Error & { code: string; peer?: string };
    return { type: err.name, code, message: err.message, ...(peer !== undefined && { peer }) };
  }
  return err instanceof Error ? stdSerializers.err(err) : err;
}

/** Warnings (and errors) of one kind logged per window before the rest are only counted. */
export const DEFAULT_LOG_BURST = 10;
const LOG_WINDOW_MS = 1000;
/** Kinds remembered at once; past it, the oldest windows are forgotten. */
const MAX_LOG_KINDS = 1000;

interface KindWindow {
  start: number;
  logged: number;
  suppressed: number;
  level: number;
  logger: Logger;
}

/** What makes two warnings "the same": their error code, else their message without numbers. */
function kindOf(args: readonly unknown[]): string {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const o = first as { code?: unknown; err?: { code?: unknown; name?: unknown } };
    if (typeof o.code === 'string') return o.code;
    if (typeof o.err?.code === 'string') return o.err.code;
    if (typeof second === 'string') return second.replace(/[\d.:[\]a-f]*\d[\d.:[\]a-f]*/gi, 'N');
    return typeof o.err?.name === 'string' ? o.err.name : 'object';
  }
  return typeof first === 'string' ? first.replace(/[\d.:[\]a-f]*\d[\d.:[\]a-f]*/gi, 'N') : 'other';
}

/**
 * Issue 13, item 6: at most `burst` warnings or errors of one kind per second reach the log; the
 * rest are counted, and one line at the end of the second says how many were left out. A thousand
 * peers sending bad frames cost ten lines a second, not a thousand.
 */
class LogRateLimiter {
  private readonly kinds = new Map<string, KindWindow>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly burst: number) {}

  /** Whether to log this call now. */
  admit(logger: Logger, level: number, args: readonly unknown[]): boolean {
    if (level < 40) return true;
    const kind = kindOf(args);
    const now = Date.now();
    let w = this.kinds.get(kind);
    if (w === undefined || now - w.start >= LOG_WINDOW_MS) {
      if (w !== undefined) this.report(kind, w);
      if (w === undefined && this.kinds.size >= MAX_LOG_KINDS) this.forgetOld(now);
      w = { start: now, logged: 0, suppressed: 0, level, logger };
      this.kinds.set(kind, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      return true;
    }
    w.suppressed++;
    w.logger = logger;
    this.timer ??= setTimeout(() => this.flush(), LOG_WINDOW_MS).unref();
    return false;
  }

  private report(kind: string, w: KindWindow): void {
    if (w.suppressed === 0) return;
    const n = w.suppressed;
    w.suppressed = 0;
    w.logger.warn(
      { kind, suppressed: n },
      `${n} more '${kind}' ${w.level >= 50 ? 'error' : 'warning'}${n === 1 ? '' : 's'} in ${LOG_WINDOW_MS / 1000} s not logged (at most ${this.burst} a second of each kind)`,
    );
  }

  private flush(): void {
    this.timer = undefined;
    const now = Date.now();
    let pending = false;
    for (const [kind, w] of this.kinds) {
      if (now - w.start >= LOG_WINDOW_MS) {
        this.report(kind, w);
        this.kinds.delete(kind);
      } else if (w.suppressed > 0) pending = true;
    }
    if (pending) this.timer = setTimeout(() => this.flush(), LOG_WINDOW_MS).unref();
  }

  private forgetOld(now: number): void {
    for (const [kind, w] of this.kinds) {
      if (now - w.start >= LOG_WINDOW_MS) {
        this.report(kind, w);
        this.kinds.delete(kind);
      }
    }
    // Still full of live windows: a flood of distinct kinds is itself rate-limited by forgetting.
    if (this.kinds.size >= MAX_LOG_KINDS) this.kinds.clear();
  }
}

export interface LoggerOptions {
  /** Warnings/errors of one kind logged per second before the rest are counted. @default 10 */
  burst?: number;
}

/**
 * A structured logger writing JSON lines to `destination` (default: stderr through a
 * `StderrDestination`, which never blocks the server and drops, counting, what a stuck reader
 * leaves no room for). Warnings and errors are rate-limited per kind; errors with a code are
 * logged without a stack.
 */
export function createLogger(
  level: LevelWithSilent = 'info',
  destination?: DestinationStream,
  options: LoggerOptions = {},
): Logger {
  const limiter = new LogRateLimiter(options.burst ?? DEFAULT_LOG_BURST);
  return pino(
    {
      level,
      base: null,
      serializers: { err: serializeError },
      hooks: {
        logMethod(args, method, lvl) {
          if (limiter.admit(this, lvl, args)) method.apply(this, args);
        },
      },
    },
    destination ?? new StderrDestination(),
  );
}
