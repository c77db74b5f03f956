/**
 * The fan-out load generator: one sender and K members in one room of a hub; measures deliveries
 * per second and delivery latency, and counts gaps, repeats, wrong and missing deliveries.
 *
 * Each message body is `#<tag><seq>#` and lower-case padding to the requested size; the tag is new
 * every run, so lines of other runs (room history) are ignored. Before the run the sender sends
 * probes (`#<tag>p#`) until every member has seen one: the room is then known to be complete,
 * whatever greeting or join protocol the hub has.
 */
import { fanoutAdapter, type BenchLink, type FanoutAdapter } from './adapters/index.js';
import { openBenchSocket, openMany, targetAddresses, targetName, targetOf } from './connect.js';
import { CpuMeter, GENERATOR_SATURATED_PERCENT } from './cpu.js';
import { excerpt } from './expect.js';
import { LatencyHistogram } from './histogram.js';
import type { BenchTarget, ResolvedBenchOptions } from './options.js';
import { makePayloads } from './payload.js';
import { ServerCpuProbe } from './server-cpu.js';
import { emptyErrors, errorTotal, noteError, type BenchErrors, type FanoutResult } from './result.js';
import { WsLink } from './ws-link.js';

const HASH = 0x23;
const LF = 0x0a;
const CR = 0x0d;
const DIGIT_0 = 0x30;
const PROBE = 0x70; // 'p'
const TAG_LENGTH = 4;
const PROBE_INTERVAL_MS = 20;
/** Flat-out sending: messages per write, and writes per turn of the event loop before yielding to reads. */
const FLAT_OUT_BATCH = 32;
const FLAT_OUT_WRITES_PER_TURN = 8;

/** A Float64Array that grows: send time per sequence number, without a Map on the hot path. */
class GrowableTimes {
  private a = new Float64Array(1024);
  set(i: number, v: number): void {
    if (i >= this.a.length) {
      const b = new Float64Array(Math.max(this.a.length * 2, i + 1));
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
  get(i: number): number {
    return this.a[i] ?? 0;
  }
}

class GrowableCounts {
  private a = new Uint32Array(1024);
  increment(i: number): number {
    if (i >= this.a.length) {
      const b = new Uint32Array(Math.max(this.a.length * 2, i + 1));
      b.set(this.a);
      this.a = b;
    }
    return ++this.a[i]!;
  }
  get(i: number): number {
    return this.a[i] ?? 0;
  }
}

interface Run {
  readonly o: ResolvedBenchOptions;
  readonly adapter: FanoutAdapter;
  readonly tag: Buffer;
  readonly padding: Buffer;
  /** Bytes after the body on a delivery line (the adapter's `trailer`). */
  readonly trailer: number;
  readonly sendTimes: GrowableTimes;
  readonly counts: GrowableCounts;
  readonly histogram: LatencyHistogram;
  readonly errors: BenchErrors;
  sent: number;
  /** Lowest sequence number not yet delivered to every live member. */
  frontier: number;
  liveMembers: number;
  deliveries: number;
  lastDeliveryAt: number;
  onProgress(): void;
}

class Member {
  /** Next sequence number this member expects. */
  next = 0;
  sawProbe = false;
  done = false;
  /** Deliveries this member received (in order or not), for the per-node counts. */
  delivered = 0;
  /** The last line that was not a delivery, as [buffer, start, end]: kept as bytes, not a string. */
  private lastControl: [Buffer, number, number] | undefined;
  /** The start of a line whose end has not arrived yet. */
  private carry: Buffer | undefined;

  constructor(
    private readonly run: Run,
    private readonly socket: BenchLink,
    private readonly index: number,
    private readonly onProbe: () => void,
  ) {
    if (!(socket instanceof WsLink)) socket.on('data', this.onData);
    else socket.setReceiver(socket.framing === 'lines' ? this.onMessage : this.onData);
    socket.on('error', (err: Error) =>
      this.fail(`member ${index} to ${targetName(targetOf(run.o, index))}: ${err.message}`),
    );
    const closed = (): void => this.fail(`member ${index}: the hub closed the connection${this.lastWords()}`);
    socket.on('end', closed);
    socket.on('close', closed);
  }

  private lastWords(): string {
    return this.lastControl === undefined
      ? ''
      : ` (last line: ${JSON.stringify(this.lastControl[0].toString('utf8', this.lastControl[1], Math.min(this.lastControl[2], this.lastControl[1] + 120)))})`;
  }

  /**
   * Lines are scanned in place (indexes into the chunk, no view per line): at two million
   * deliveries a second the generator's per-line cost, not the hub's, sets the ceiling (profile).
   */
  private readonly onData = (chunk: Buffer): void => {
    const now = performance.now();
    let start = 0;
    if (this.carry !== undefined) {
      // Only the line that straddles two reads is joined; the rest of the chunk is never copied.
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, lf)]);
      this.carry = undefined;
      this.line(line, 0, line.length, now);
      start = lf + 1;
    }
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) break;
      this.line(chunk, start, lf, now);
      if (this.done) return;
      start = lf + 1;
    }
    if (start < chunk.length) this.carry = chunk.subarray(start);
  };

  /**
   * One WebSocket message that is one line (no newline; a newline inside splits it, so a
   * multi-line notice is read as its lines).
   */
  private readonly onMessage = (message: Buffer): void => {
    const now = performance.now();
    let start = 0;
    for (;;) {
      const lf = message.indexOf(LF, start);
      if (lf === -1) break;
      this.line(message, start, lf, now);
      if (this.done) return;
      start = lf + 1;
    }
    this.line(message, start, message.length, now);
  };

  /** One line: buf[start..end), without its `\n`. */
  private line(buf: Buffer, start: number, end: number, now: number): void {
    const run = this.run;
    if (end > start && buf[end - 1] === CR) end--;
    const at = buf.indexOf(HASH, start);
    if (at === -1 || at >= end) {
      this.lastControl = [buf, start, end];
      const problem = run.adapter.onControlLine(buf, start, end, this.socket);
      if (problem !== undefined) this.fail(`member ${this.index}: ${problem}`);
      return;
    }
    const tag = run.tag;
    for (let k = 0; k < TAG_LENGTH; k++) if (buf[at + 1 + k] !== tag[k]) return; // another run's line
    end -= run.trailer;
    let i = at + 1 + TAG_LENGTH;
    if (buf[i] === PROBE) {
      if (!this.sawProbe) {
        this.sawProbe = true;
        this.onProbe();
      }
      return;
    }
    let seq = 0;
    let c = buf[i];
    while (i < end && c !== HASH) {
      seq = seq * 10 + (c! - DIGIT_0);
      c = buf[++i];
    }
    // The body after the header must be exactly the padding the sender wrote after its header.
    const headerLength = i + 1 - at;
    if (
      end - (i + 1) !== run.o.size - headerLength ||
      buf.compare(run.padding, headerLength, run.o.size, i + 1, end) !== 0
    ) {
      run.errors.wrong++;
      noteError(
        run.errors,
        `member ${this.index}, message ${seq}: body changed in transit: ${excerpt(buf.subarray(at, end))}`,
      );
    }
    this.deliver(seq, now);
  }

  private deliver(seq: number, now: number): void {
    const run = this.run;
    if (seq < this.next || seq >= run.sent) {
      run.errors.repeats++;
      noteError(
        run.errors,
        `member ${this.index}: message ${seq} again or out of order (expected ${this.next})`,
      );
      return;
    }
    if (seq > this.next) {
      run.errors.gaps += seq - this.next;
      noteError(run.errors, `member ${this.index}: messages ${this.next}..${seq - 1} skipped`);
    }
    this.next = seq + 1;
    this.delivered++;
    run.deliveries++;
    run.lastDeliveryAt = now;
    run.histogram.recordMs(now - run.sendTimes.get(seq));
    if (run.counts.increment(seq) >= run.liveMembers) run.onProgress();
  }

  fail(line: string): void {
    if (this.done) return;
    this.done = true;
    this.run.errors.connections++;
    noteError(this.run.errors, line);
    this.socket.destroy();
    this.run.liveMembers--;
    this.run.onProgress();
  }

  /** End of run: what this member never got. */
  settle(): void {
    if (this.done) return;
    this.done = true;
    const missing = this.run.sent - this.next;
    if (missing > 0) {
      this.run.errors.missing += missing;
      noteError(this.run.errors, `member ${this.index}: last ${missing} message(s) never arrived`);
    }
    this.socket.destroy();
  }
}

/**
 * A member's or the sender's connection to one node: over `ws://` a raw WebSocket client speaking
 * the adapter's WebSocket dialect (handshake included), else the bench's socket for the URL.
 */
async function openFanoutLink(
  o: ResolvedBenchOptions,
  t: BenchTarget,
  adapter: FanoutAdapter,
): Promise<BenchLink> {
  const ws = adapter.websocket;
  if (t.endpoint.transport !== 'ws' || ws === undefined) return openBenchSocket(o, t);
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const url = `ws://${host}:${t.port}${ws.path(t.endpoint.path === '' ? '/' : t.endpoint.path)}`;
  const link = await WsLink.open(url, ws.framing, ws.binary, o.connectTimeoutMs);
  if (ws.handshake !== undefined) {
    try {
      await withTimeout(ws.handshake(link), o.connectTimeoutMs, `${adapter.name} handshake on ${url}`);
    } catch (err) {
      link.destroy();
      throw err;
    }
  }
  return link;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function randomTag(): Buffer {
  const tag = Buffer.allocUnsafe(TAG_LENGTH);
  for (let i = 0; i < TAG_LENGTH; i++) tag[i] = 0x61 + Math.floor(Math.random() * 26);
  return tag;
}

/** Run a fan-out benchmark with resolved options. */
export async function runFanout(o: ResolvedBenchOptions): Promise<FanoutResult> {
  const adapter = fanoutAdapter(o.adapter);
  const tag = randomTag();
  const room = `bench${tag.toString('latin1')}`;
  const errors = emptyErrors();
  const run: Run = {
    o,
    adapter,
    tag,
    padding: makePayloads(1, o.size, o.seed)[0]!,
    trailer: adapter.trailer ?? 0,
    sendTimes: new GrowableTimes(),
    counts: new GrowableCounts(),
    histogram: new LatencyHistogram(),
    errors,
    sent: 0,
    frontier: 0,
    liveMembers: o.subscribers,
    deliveries: 0,
    lastDeliveryAt: 0,
    onProgress: () => undefined,
  };

  const server = ServerCpuProbe.locate(o.serverPid, targetAddresses(o));
  const backplane = ServerCpuProbe.of(o.backplanePids);
  // Member i on node i mod N (round-robin), the sender on the first node.
  const open = (_o: ResolvedBenchOptions, t: BenchTarget): Promise<BenchLink> =>
    openFanoutLink(o, t, adapter);
  const memberSockets = await openMany(o, o.subscribers, adapter.connectParallel, open);
  const sender = await open(o, o).catch((err: unknown) => {
    for (const s of memberSockets) s.destroy();
    throw err;
  });
  let probesSeen = 0;
  let allProbed!: () => void;
  const probed = new Promise<void>((resolve) => (allProbed = resolve));
  const members = memberSockets.map(
    (socket, i) =>
      new Member(run, socket, i, () => {
        if (++probesSeen === o.subscribers) allProbed();
      }),
  );
  // The sender reads only protocol chatter (greetings, nats PING, Socket.IO ping) and answers what
  // needs it; there is no delivery to it, and what it is told is not the run's problem.
  const senderHears = (chunk: Buffer): void => {
    let start = 0;
    while (start < chunk.length) {
      let lf = chunk.indexOf(LF, start);
      if (lf === -1) lf = chunk.length;
      const end = lf > start && chunk[lf - 1] === CR ? lf - 1 : lf;
      adapter.onControlLine(chunk, start, end, sender);
      start = lf + 1;
    }
  };
  if (sender instanceof WsLink) sender.setReceiver(senderHears);
  else sender.on('data', senderHears);
  let senderProblem: string | undefined;
  sender.on('error', (err: Error) => (senderProblem ??= `sender: ${err.message}`));
  sender.on('end', () => (senderProblem ??= 'sender: the hub closed the connection'));
  sender.on('close', () => (senderProblem ??= 'sender: the hub closed the connection'));

  for (const s of memberSockets) adapter.setup(s, 'member', room);
  adapter.setup(sender, 'sender', room);

  // Probe until the room is complete (every member has seen a probe) or the connect deadline passes.
  // With several nodes this also waits for what crosses between them (a backplane's pub/sub is
  // asynchronous: a member on node B may have joined on B before B hears the sender's node).
  const probe = Buffer.allocUnsafe(o.size);
  run.padding.copy(probe);
  probe.write(`#${tag.toString('latin1')}p#`, 'latin1');
  const probeBytes = adapter.encode(probe, room);
  const probeTimer = setInterval(() => sender.write(probeBytes), PROBE_INTERVAL_MS);
  sender.write(probeBytes);
  const deadline = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), o.connectTimeoutMs).unref(),
  );
  const ready = await Promise.race([probed, deadline]);
  clearInterval(probeTimer);
  if (ready === 'timeout') {
    for (const s of [...memberSockets, sender]) s.destroy();
    const where =
      o.targets.length === 1
        ? targetName(o)
        : `${o.targets.map(targetName).join(', ')} (${members.filter((m) => !m.sawProbe).length} silent members, ` +
          `on ${[...new Set(members.flatMap((m, i) => (m.sawProbe ? [] : [targetName(targetOf(o, i))])))].join(', ')})`;
    throw new Error(
      `only ${probesSeen} of ${o.subscribers} members received the sender's messages within ${o.connectTimeoutMs} ms; ` +
        `is ${where} a ${adapter.name} hub (--adapter)${o.targets.length > 1 ? ', and do its nodes share rooms' : ''}?`,
    );
  }
  // Let probes still in the pipes arrive before the clock starts.
  await new Promise((resolve) => setTimeout(resolve, 50));

  const cpu = new CpuMeter();
  server.start();
  backplane.start();
  const startedAt = performance.now();
  run.lastDeliveryAt = startedAt;
  const quota = o.messages ?? Infinity;
  let stopping = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const header = `#${tag.toString('latin1')}`;
  const encodeNext = (now: number): Buffer => {
    const seq = run.sent++;
    // The header overwrites the start of the padding; the members check the remainder is intact.
    const h = `${header}${seq}#`;
    const message = Buffer.allocUnsafe(o.size);
    message.write(h, 'latin1');
    run.padding.copy(message, h.length, h.length);
    run.sendTimes.set(seq, now);
    return adapter.encode(message, room);
  };

  const canSend = (): boolean => !stopping && run.sent < quota && senderProblem === undefined;
  const checkDone = (): void => {
    while (run.frontier < run.sent && run.counts.get(run.frontier) >= run.liveMembers) run.frontier++;
    if ((!canSend() || run.liveMembers === 0) && run.frontier >= run.sent) finish();
  };

  const pump = (): void => {
    for (let w = 0; w < FLAT_OUT_WRITES_PER_TURN; w++) {
      if (!canSend()) return checkDone();
      const now = performance.now();
      const n = Math.min(FLAT_OUT_BATCH, quota - run.sent);
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) parts.push(encodeNext(now));
      if (!sender.write(Buffer.concat(parts))) {
        sender.once('drain', pump);
        return;
      }
    }
    // Yield to the event loop so the members' reads (in this same process) keep up.
    setImmediate(pump);
  };
  const windowed = (): void => {
    const free = o.pipeline - (run.sent - run.frontier);
    if (free <= 0 || !canSend()) return;
    const now = performance.now();
    const parts: Buffer[] = [];
    for (let i = 0; i < free && canSend(); i++) parts.push(encodeNext(now));
    if (parts.length > 0) sender.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  };
  run.onProgress = () => {
    checkDone();
    if (o.pipeline > 0) windowed();
  };

  let drainTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    checkDone();
    drainTimer = setTimeout(finish, o.drainTimeoutMs);
  };
  const durationTimer = o.durationMs === undefined ? undefined : setTimeout(stop, o.durationMs);
  const watchdog = setInterval(() => {
    if (senderProblem !== undefined) stop();
    if (
      !canSend() ||
      (o.messages !== undefined && performance.now() - run.lastDeliveryAt > o.drainTimeoutMs)
    ) {
      stop();
    }
    if (o.onProgress !== undefined) {
      const elapsed = performance.now() - startedAt;
      const fraction = o.messages !== undefined ? run.frontier / o.messages : elapsed / o.durationMs!;
      o.onProgress(Math.min(1, fraction), run.deliveries);
    }
  }, 100);

  if (o.pipeline > 0) windowed();
  else pump();
  await finished;
  const endedAt = Math.max(run.lastDeliveryAt, startedAt);
  clearTimeout(durationTimer);
  clearTimeout(drainTimer);
  clearInterval(watchdog);
  sender.removeAllListeners('drain');
  const cpuUsage = cpu.read();
  const serverCpu = server.finish(run.sent, run.deliveries);
  const backplaneCpu = backplane.finish(run.sent, run.deliveries).serverCpu;
  for (const m of members) m.settle();
  if (senderProblem !== undefined) {
    errors.connections++;
    noteError(errors, senderProblem);
  }
  sender.destroy();
  o.onProgress?.(1, run.deliveries);

  const durationMs = Math.max(endedAt - startedAt, 1e-3);
  return {
    mode: 'fanout',
    url: o.url,
    framing: 'line',
    adapter: o.adapter,
    subscribers: o.subscribers,
    pipeline: o.pipeline,
    size: o.size,
    sent: run.sent,
    deliveries: run.deliveries,
    durationMs: Math.round(durationMs * 10) / 10,
    messagesPerSec: Math.round((run.sent / durationMs) * 1000),
    deliveriesPerSec: Math.round((run.deliveries / durationMs) * 1000),
    ...(o.targets.length > 1 && {
      perNode: o.targets.map((t, node) => {
        const here = members.filter((_m, i) => i % o.targets.length === node);
        return {
          url: t.url,
          members: here.length,
          deliveries: here.reduce((sum, m) => sum + m.delivered, 0),
        };
      }),
    }),
    latency: run.histogram.summary(),
    errors,
    cpu: cpuUsage,
    generatorSaturated: cpuUsage.percentOfOneCore >= GENERATOR_SATURATED_PERCENT,
    ...serverCpu,
    ...(o.targets.length > 1 && { urls: o.targets.map((t) => t.url) }),
    ...(o.backplanePids.length > 0 && { backplaneCpu }),
    ok: errorTotal(errors) === 0,
  };
}
