/**
 * The request/reply load generator: N raw `net` sockets, each keeping `pipeline` requests in flight,
 * every reply checked byte for byte against what a correct server sends.
 *
 * The hot path avoids the high-level client on purpose: one decoder per socket, payloads, frames
 * and expected replies built once before the run, a ring of send times per connection, and a read's
 * worth of follow-up requests written in one call — so the generator costs as little CPU as it can
 * and the figures measure the server.
 */
import type { Socket } from 'node:net';
import type { Codec, Decoder } from '../framing/codec.js';
import { createCodec } from '../framing/registry.js';
import { openMany, targetAddresses, targetName, targetOf } from './connect.js';
import { CpuMeter, GENERATOR_SATURATED_PERCENT } from './cpu.js';
import { excerpt, expectedReply } from './expect.js';
import { LatencyHistogram } from './histogram.js';
import type { ResolvedBenchOptions } from './options.js';
import { makePayloads } from './payload.js';
import { ServerCpuProbe } from './server-cpu.js';
import { emptyErrors, errorTotal, noteError, type BenchErrors, type RequestReplyResult } from './result.js';

/** Distinct payloads per run: enough variety to catch a server replaying stale replies, bounded memory. */
const POOL_BYTES = 8 * 1024 * 1024;
const MAX_POOL = 1024;

interface Shared {
  readonly o: ResolvedBenchOptions;
  readonly codec: Codec;
  readonly frames: Buffer[];
  readonly payloads: Buffer[];
  /** Expected reply per payload; undefined entries when replies are not checked (`none`). */
  readonly expected: (Buffer | undefined)[];
  readonly histogram: LatencyHistogram;
  readonly errors: BenchErrors;
  /** Set when sending should stop (duration over); connections finish what is in flight. */
  stopping: boolean;
  lastReplyAt: number;
  onConnectionDone(): void;
}

class BenchConnection {
  sent = 0;
  received = 0;
  done = false;
  private readonly decoder: Decoder;
  /** Send time of request k lives at sendTimes[k % pipeline]: replies come back in order. */
  private readonly sendTimes: Float64Array;
  /** Raw framing: bytes of the current reply already matched. */
  private rawOffset = 0;
  private rawWrong = false;

  constructor(
    private readonly s: Shared,
    private readonly socket: Socket,
    private readonly index: number,
    /** Requests this connection may send; Infinity in duration mode. */
    private readonly quota: number,
  ) {
    this.decoder = s.codec.createDecoder();
    this.sendTimes = new Float64Array(s.o.pipeline);
    socket.on('data', s.codec.preservesBoundaries ? this.onFramed : this.onRaw);
    socket.on('error', this.onError);
    // allowHalfOpen sockets see 'end' (the server's FIN) long before any 'close'.
    socket.on('end', this.onClose);
    socket.on('close', this.onClose);
  }

  /** Payload index of this connection's request k: connections walk the pool from different places. */
  private pick(k: number): number {
    return (k + this.index * 31) % this.s.payloads.length;
  }

  start(): void {
    this.sendMore(Math.min(this.s.o.pipeline, this.quota));
    this.checkDone();
  }

  /** Send up to n more requests in one write (one syscall for a read's worth of follow-ups). */
  sendMore(n: number): void {
    const room = this.s.stopping ? 0 : Math.min(n, this.quota - this.sent);
    if (room <= 0 || this.socket.destroyed) return;
    const now = performance.now();
    const pipeline = this.s.o.pipeline;
    let out: Buffer;
    if (room === 1) {
      out = this.s.frames[this.pick(this.sent)]!;
      this.sendTimes[this.sent % pipeline] = now;
      this.sent++;
    } else {
      const parts: Buffer[] = [];
      for (let i = 0; i < room; i++) {
        parts.push(this.s.frames[this.pick(this.sent)]!);
        this.sendTimes[this.sent % pipeline] = now;
        this.sent++;
      }
      out = Buffer.concat(parts);
    }
    this.socket.write(out);
  }

  private complete(now: number): void {
    this.s.histogram.recordBatchedMs(now - this.sendTimes[this.received % this.s.o.pipeline]!);
    this.received++;
  }

  private readonly onFramed = (chunk: Buffer): void => {
    const now = performance.now();
    this.s.lastReplyAt = now;
    let replies: Buffer[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.fail(
        `connection ${this.index}: reply stream is not valid ${this.s.o.framing}: ${(err as Error).message}`,
      );
      return;
    }
    let answered = 0;
    for (const reply of replies) {
      if (this.received >= this.sent) {
        this.s.errors.unexpected++;
        noteError(
          this.s.errors,
          `connection ${this.index}: unexpected reply ${excerpt(reply)} with nothing asked`,
        );
        continue;
      }
      const expected = this.s.expected[this.pick(this.received)];
      if (expected !== undefined && !reply.equals(expected)) {
        this.s.errors.wrong++;
        noteError(
          this.s.errors,
          `connection ${this.index}, request ${this.received}: expected ${excerpt(expected)}, got ${excerpt(reply)}`,
        );
      }
      this.complete(now);
      answered++;
    }
    if (answered > 0) this.sendMore(answered);
    this.checkDone();
  };

  /** raw framing has no message boundaries: the reply bytes are checked against the expected stream. */
  private readonly onRaw = (chunk: Buffer): void => {
    const now = performance.now();
    this.s.lastReplyAt = now;
    const size = this.s.o.size;
    let pos = 0;
    let answered = 0;
    while (pos < chunk.length) {
      if (this.received >= this.sent) {
        this.s.errors.unexpected++;
        noteError(
          this.s.errors,
          `connection ${this.index}: ${chunk.length - pos} unexpected reply bytes ${excerpt(chunk.subarray(pos))} with nothing asked`,
        );
        break;
      }
      const n = Math.min(size - this.rawOffset, chunk.length - pos);
      const expected = this.s.expected[this.pick(this.received)];
      if (
        expected !== undefined &&
        !this.rawWrong &&
        chunk.compare(expected, this.rawOffset, this.rawOffset + n, pos, pos + n) !== 0
      ) {
        this.rawWrong = true;
        this.s.errors.wrong++;
        noteError(
          this.s.errors,
          `connection ${this.index}, request ${this.received} bytes ${this.rawOffset}..${this.rawOffset + n}: ` +
            `expected ${excerpt(expected.subarray(this.rawOffset, this.rawOffset + n))}, got ${excerpt(chunk.subarray(pos, pos + n))}`,
        );
      }
      pos += n;
      this.rawOffset += n;
      if (this.rawOffset === size) {
        this.rawOffset = 0;
        this.rawWrong = false;
        this.complete(now);
        answered++;
      }
    }
    if (answered > 0) this.sendMore(answered);
    this.checkDone();
  };

  checkDone(): void {
    if (this.done) return;
    if (this.received === this.sent && (this.s.stopping || this.sent >= this.quota)) this.finish();
  }

  private finish(): void {
    this.done = true;
    this.socket.destroy();
    this.s.onConnectionDone();
  }

  private fail(line: string): void {
    if (this.done) return;
    this.s.errors.connections++;
    noteError(this.s.errors, line);
    this.countMissing();
    this.finish();
  }

  /** Requests in flight that will now never be answered. */
  countMissing(): void {
    const missing = this.sent - this.received;
    if (missing > 0) {
      this.s.errors.missing += missing;
      noteError(this.s.errors, `connection ${this.index}: ${missing} request(s) without a reply`);
    }
    this.received = this.sent;
  }

  private readonly onError = (err: Error): void => {
    this.fail(`connection ${this.index} to ${targetName(targetOf(this.s.o, this.index))}: ${err.message}`);
  };

  private readonly onClose = (): void => {
    if (this.done) return;
    this.fail(`connection ${this.index}: the server closed the connection mid-run`);
  };
}

/** Run a request/reply benchmark with resolved options. */
export async function runRequestReply(o: ResolvedBenchOptions): Promise<RequestReplyResult> {
  const codec = createCodec(o.framing, { maxFrame: 0xffff_ffff, maxLine: 0xffff_ffff });
  const poolSize = Math.max(1, Math.min(MAX_POOL, Math.floor(POOL_BYTES / Math.max(o.size, 1))));
  const payloads = makePayloads(poolSize, o.size, o.seed);
  const errors = emptyErrors();
  const histogram = new LatencyHistogram();

  const server = ServerCpuProbe.locate(o.serverPid, targetAddresses(o));
  const backplane = ServerCpuProbe.of(o.backplanePids);
  const sockets = await openMany(o, o.connections);
  const cpu = new CpuMeter();
  server.start();
  backplane.start();
  let remaining = o.connections;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const shared: Shared = {
    o,
    codec,
    payloads,
    frames: payloads.map((p) => codec.encode(p)),
    expected: payloads.map((p) => expectedReply(o.expect, o.framing, p)),
    histogram,
    errors,
    stopping: false,
    lastReplyAt: 0,
    onConnectionDone: () => {
      if (--remaining === 0) allDone();
    },
  };
  const total = o.messages;
  const connections = sockets.map((socket, i) => {
    const quota =
      total === undefined
        ? Infinity
        : Math.floor(total / o.connections) + (i < total % o.connections ? 1 : 0);
    return new BenchConnection(shared, socket, i, quota);
  });

  const startedAt = performance.now();
  shared.lastReplyAt = startedAt;
  const received = (): number => connections.reduce((n, c) => n + c.received, 0);
  const progress =
    o.onProgress === undefined
      ? undefined
      : setInterval(() => {
          const elapsed = performance.now() - startedAt;
          const done = received();
          const fraction = total !== undefined ? done / total : elapsed / o.durationMs!;
          o.onProgress!(Math.min(1, fraction), done);
        }, 100);

  let drainTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (shared.stopping) return;
    shared.stopping = true;
    for (const c of connections) c.checkDone();
    drainTimer = setTimeout(() => {
      for (const c of connections) {
        if (c.done) continue;
        c.countMissing();
        c.checkDone();
      }
    }, o.drainTimeoutMs);
  };
  const durationTimer = o.durationMs === undefined ? undefined : setTimeout(stop, o.durationMs);
  // With --messages, a server that stops answering would hang the run: the last reply starts a
  // watchdog, and drain-timeout ms without any reply stops the run with what is outstanding missing.
  const watchdog =
    total === undefined
      ? undefined
      : setInterval(
          () => {
            if (performance.now() - shared.lastReplyAt > o.drainTimeoutMs) stop();
          },
          Math.min(250, Math.max(10, o.drainTimeoutMs / 4)),
        );

  for (const c of connections) c.start();
  await finished;
  const endedAt = remaining === 0 ? Math.max(shared.lastReplyAt, startedAt) : performance.now();
  clearTimeout(durationTimer);
  clearTimeout(drainTimer);
  clearInterval(watchdog);
  clearInterval(progress);
  o.onProgress?.(1, received());

  const cpuUsage = cpu.read();
  const answered = histogram.summary().count;
  const serverCpu = server.finish(answered);
  const backplaneCpu = backplane.finish(answered).serverCpu;
  const durationMs = Math.max(endedAt - startedAt, 1e-3);
  const sent = connections.reduce((n, c) => n + c.sent, 0);
  const perSec = (answered / durationMs) * 1000;
  return {
    mode: 'request-reply',
    url: o.url,
    framing: o.framing,
    expect: o.expect,
    connections: o.connections,
    pipeline: o.pipeline,
    size: o.size,
    sent,
    received: answered,
    durationMs: Math.round(durationMs * 10) / 10,
    messagesPerSec: Math.round(perSec),
    mbPerSec: Math.round(((perSec * o.size) / 1e6) * 100) / 100,
    latency: histogram.summary(),
    errors,
    cpu: cpuUsage,
    generatorSaturated: cpuUsage.percentOfOneCore >= GENERATOR_SATURATED_PERCENT,
    ...serverCpu,
    ...(o.targets.length > 1 && { urls: o.targets.map((t) => t.url) }),
    ...(o.backplanePids.length > 0 && { backplaneCpu }),
    ok: errorTotal(errors) === 0,
  };
}
