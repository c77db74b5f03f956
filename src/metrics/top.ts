import { request } from 'node:http';
import { MetricsUnreachableError } from '../errors.js';
import { formatMetricsUrl, parseMetricsUrl } from './metrics-url.js';
import type { Varz, VarzListener } from './varz.js';

/** `top` refreshes this often, as `nats top`. */
export const DEFAULT_TOP_INTERVAL_MS = 1000;
/** One fetch of `/varz` may take this long before the endpoint counts as unreachable. */
export const TOP_FETCH_TIMEOUT_MS = 2000;

/** One reading of `/varz`, with when it was taken. */
export interface TopSample {
  readonly varz: Varz;
  /** performance.now() when the answer came. */
  readonly at: number;
}

/**
 * Read `/varz` from a metrics endpoint (`http://HOST:PORT`, a path after it is ignored).
 * @throws MetricsUrlError | MetricsUnreachableError
 */
export async function fetchSample(url: string, timeoutMs = TOP_FETCH_TIMEOUT_MS): Promise<TopSample> {
  const { host, port } = parseMetricsUrl(url, true);
  const base = formatMetricsUrl(host, port);
  const { status, body } = await httpGet(host, port, '/varz', timeoutMs).catch((err: unknown) => {
    throw new MetricsUnreachableError(base, reachFailure(err, timeoutMs), err);
  });
  if (status !== 200) throw new MetricsUnreachableError(base, `/varz answered HTTP ${status}`);
  let varz: Varz;
  try {
    varz = JSON.parse(body) as Varz;
  } catch (err) {
    throw new MetricsUnreachableError(base, '/varz is not JSON (not a switchboard endpoint?)', err);
  }
  if (varz.server !== 'switchboard' || !Array.isArray(varz.listeners)) {
    throw new MetricsUnreachableError(base, '/varz is not a switchboard summary');
  }
  return { varz, at: performance.now() };
}

/** Largest /varz read: a few hundred bytes per listener. */
const MAX_VARZ_BYTES = 4 * 1024 * 1024;

/**
 * node:http rather than fetch(): fetch refuses the ports of the Fetch standard's block list (6000,
 * 6665-6669, …), where an operator may well have put a metrics endpoint.
 */
function httpGet(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_VARZ_BYTES) req.destroy(new Error(`answer larger than ${MAX_VARZ_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

function reachFailure(err: unknown, timeoutMs: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT') return `no answer within ${timeoutMs} ms`;
  if (code === 'ECONNRESET') return 'connection reset (not an HTTP endpoint?)';
  return (err as Error).message;
}

/** Per second between two samples; '-' for the first, where there is nothing to compare. */
function rate(prev: number | undefined, cur: number, seconds: number | undefined): string {
  if (prev === undefined || seconds === undefined || seconds <= 0) return '-';
  return count(Math.max(0, (cur - prev) / seconds));
}

/** 1234567 -> 1.23M: a column a person can read at a glance. */
function count(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  for (const [unit, size] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (n >= size) return `${(n / size).toFixed(n >= size * 100 ? 0 : n >= size * 10 ? 1 : 2)}${unit}`;
  }
  return String(Math.round(n));
}

function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d${h}h${m}m` : h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function reasons(counts: Readonly<Record<string, number | undefined>>): string {
  const parts = Object.entries(counts)
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/**
 * The view `switchboard top` prints: a summary line, one row per listener with messages and bytes
 * per second from the counters' change since `prev`, the chat hub's figures, and closes by reason.
 */
export function formatTop(url: string, cur: TopSample, prev?: TopSample): string {
  const v = cur.varz;
  const seconds = prev === undefined ? undefined : (cur.at - prev.at) / 1000;
  const before = (l: VarzListener): VarzListener | undefined =>
    prev?.varz.listeners.find((p) => p.url === l.url && p.service === l.service);
  const out: string[] = [];
  out.push(
    `switchboard ${v.version}  ${url}  pid ${v.pid}  up ${duration(v.uptime_seconds)}  ${v.status}  ` +
      `rss ${bytes(v.mem_rss_bytes)}  backplane ${v.backplane.kind} ${v.backplane.up ? 'up' : 'DOWN'}` +
      (v.workers === undefined ? '' : `  workers ${v.workers.length} (restarts ${v.worker_restarts ?? 0})`),
  );
  out.push(
    `connections ${v.connections} (total ${v.total_connections})  ` +
      `msgs/s in ${rate(prev?.varz.in_msgs, v.in_msgs, seconds)} out ${rate(prev?.varz.out_msgs, v.out_msgs, seconds)}  ` +
      `bytes/s in ${rate(prev?.varz.in_bytes, v.in_bytes, seconds)} out ${rate(prev?.varz.out_bytes, v.out_bytes, seconds)}`,
  );
  out.push('');
  out.push(
    ...table(
      [
        'LISTENER',
        'SERVICE',
        'UP',
        'CONNS',
        'TOTAL',
        'MSGS/S IN',
        'MSGS/S OUT',
        'BYTES/S IN',
        'BYTES/S OUT',
        'MSGS IN',
        'MSGS OUT',
      ],
      v.listeners.map((l) => {
        const p = before(l);
        return [
          l.url,
          l.service,
          l.up ? 'yes' : 'NO',
          String(l.connections),
          String(l.total_connections),
          rate(p?.in_msgs, l.in_msgs, seconds),
          rate(p?.out_msgs, l.out_msgs, seconds),
          rate(p?.in_bytes, l.in_bytes, seconds),
          rate(p?.out_bytes, l.out_bytes, seconds),
          count(l.in_msgs),
          count(l.out_msgs),
        ];
      }),
      3,
    ),
  );
  out.push('');
  if (v.chat !== undefined) {
    const c = v.chat;
    out.push(
      `chat: members ${c.members}  rooms ${c.rooms}  deliveries/s ${rate(prev?.varz.chat?.deliveries, c.deliveries, seconds)}  stalls ${c.stalls} (${(c.stalled_ms / 1000).toFixed(1)} s)  ` +
        `flood delays ${c.flood_delays}  max member queue ${bytes(c.max_member_queue_bytes)}`,
    );
    out.push(`chat disconnects: ${reasons(c.disconnects)}`);
  }
  const closes: Record<string, number> = {};
  let refusedFull = 0;
  let refusedFds = 0;
  let tls = 0;
  for (const l of v.listeners) {
    for (const [r, n] of Object.entries(l.closes)) closes[r] = (closes[r] ?? 0) + (n ?? 0);
    refusedFull += l.refused.full;
    refusedFds += l.refused.descriptors;
    tls += l.tls_handshake_failures;
  }
  out.push(`closes: ${reasons(closes)}`);
  out.push(
    `refused: full ${refusedFull}, out of descriptors ${refusedFds}  tls handshake failures ${tls}  ` +
      `ws close codes: ${reasons(v.ws_close_codes)}`,
  );
  return `${out.join('\n')}\n`;
}

export interface TopOptions {
  /** Print one view (two readings `intervalMs` apart, for the rates) and return. */
  readonly once?: boolean;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** Where views go; the live view clears the screen before each. */
  readonly write: (text: string) => void;
  /** Stops the live view. */
  readonly signal?: AbortSignal;
}

/**
 * `switchboard top URL`: a live view of a running server, refreshed every second as `nats top`.
 * @throws MetricsUrlError | MetricsUnreachableError (at the first reading, or when the server goes away)
 */
export async function runTop(url: string, options: TopOptions): Promise<void> {
  const intervalMs = options.intervalMs ?? DEFAULT_TOP_INTERVAL_MS;
  const { host, port } = parseMetricsUrl(url, true);
  const base = formatMetricsUrl(host, port);
  let prev = await fetchSample(base);
  if (options.once === true) {
    await sleep(intervalMs, options.signal);
    options.write(formatTop(base, await fetchSample(base), prev));
    return;
  }
  options.write(`\x1b[H\x1b[2J${formatTop(base, prev)}`);
  const stopped = (): boolean => options.signal?.aborted === true;
  while (!stopped()) {
    await sleep(intervalMs, options.signal);
    if (stopped()) break;
    const cur = await fetchSample(base);
    options.write(`\x1b[H\x1b[2J${formatTop(base, cur, prev)}`);
    prev = cur;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
