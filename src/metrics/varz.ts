import type { CloseReason } from '../services/service.js';
import type { ServerStats } from '../server/serve.js';
import type { TransportName } from '../transports/transport.js';
import { MemoryBackplane } from '../backplane/memory.js';
import type { BackplaneStats } from '../backplane/backplane.js';

/** One listener in `/varz`. */
export interface VarzListener {
  readonly service: string;
  readonly transport: TransportName;
  readonly url: string;
  readonly up: boolean;
  readonly connections: number;
  readonly total_connections: number;
  readonly in_msgs: number;
  readonly out_msgs: number;
  readonly in_bytes: number;
  readonly out_bytes: number;
  readonly closes: Readonly<Partial<Record<CloseReason['kind'], number>>>;
  readonly refused: { readonly full: number; readonly descriptors: number };
  readonly tls_handshake_failures: number;
}

/** One worker of `--workers` in the primary's `/varz`. */
export interface VarzWorker {
  readonly id: number;
  readonly pid: number;
  readonly connections: number;
  readonly mem_rss_bytes: number;
}

/** The chat hubs of the process, summed (listeners sharing a hub counted once). */
export interface VarzChat {
  readonly hubs: number;
  readonly members: number;
  readonly rooms: number;
  readonly disconnects: Readonly<Record<string, number>>;
  readonly stalls: number;
  readonly stalled_ms: number;
  readonly longest_stall_ms: number;
  readonly over_budget: number;
  readonly flood_delays: number;
  /** Room lines queued for members, one per recipient. */
  readonly deliveries: number;
  readonly max_member_queue_bytes: number;
}

/**
 * `/varz`: a JSON summary as NATS serves at its monitoring port — the field names follow NATS
 * (`in_msgs`, `out_bytes`, `total_connections`) so its operators read it at a glance.
 */
export interface Varz {
  readonly server: 'switchboard';
  readonly version: string;
  readonly pid: number;
  /** ISO 8601. */
  readonly start: string;
  readonly now: string;
  readonly uptime_seconds: number;
  readonly status: 'ok' | 'shutting-down';
  readonly connections: number;
  readonly total_connections: number;
  readonly in_msgs: number;
  readonly out_msgs: number;
  readonly in_bytes: number;
  readonly out_bytes: number;
  readonly mem_rss_bytes: number;
  readonly listeners: readonly VarzListener[];
  /** Absent when no listener runs the chat service. */
  readonly chat?: VarzChat;
  readonly backplane: BackplaneStats;
  /** WebSocket closes by code (server side, the whole process). */
  readonly ws_close_codes: Readonly<Record<string, number>>;
  /**
   * With `--workers`, served by the primary: each worker; every figure above is their sum (and
   * `mem_rss_bytes` includes the primary's own).
   */
  readonly workers?: readonly VarzWorker[];
  /** With `--workers`: workers started again after one died. */
  readonly worker_restarts?: number;
}

export function varz(
  stats: ServerStats,
  version: string,
  wsCloseCodes: ReadonlyMap<number, number>,
  now = Date.now(),
): Varz {
  const listeners = stats.listeners.map((l): VarzListener => ({
    service: l.service,
    transport: l.transport,
    url: l.url,
    up: l.up,
    connections: l.connections,
    total_connections: l.connectionsTotal,
    in_msgs: l.messagesIn,
    out_msgs: l.messagesOut,
    in_bytes: l.bytesIn,
    out_bytes: l.bytesOut,
    closes: l.closes,
    refused: { full: l.refusedFull, descriptors: l.refusedForDescriptors },
    tls_handshake_failures: l.tlsHandshakeFailures,
  }));
  const sum = (pick: (l: VarzListener) => number): number => listeners.reduce((n, l) => n + pick(l), 0);
  const chat = chatSummary(stats);
  return {
    server: 'switchboard',
    version,
    pid: process.pid,
    start: new Date(stats.startedAt).toISOString(),
    now: new Date(now).toISOString(),
    uptime_seconds: Math.max(0, Math.round((now - stats.startedAt) / 1000)),
    status: stats.closing ? 'shutting-down' : 'ok',
    connections: sum((l) => l.connections),
    total_connections: sum((l) => l.total_connections),
    in_msgs: sum((l) => l.in_msgs),
    out_msgs: sum((l) => l.out_msgs),
    in_bytes: sum((l) => l.in_bytes),
    out_bytes: sum((l) => l.out_bytes),
    mem_rss_bytes: process.memoryUsage.rss(),
    listeners,
    ...(chat !== undefined && { chat }),
    backplane: stats.backplane ?? new MemoryBackplane().stats(),
    ws_close_codes: Object.fromEntries([...wsCloseCodes].map(([code, n]) => [String(code), n])),
  };
}

function chatSummary(stats: ServerStats): VarzChat | undefined {
  const hubs = stats.services.filter((s) => s.service === 'chat');
  if (hubs.length === 0) return undefined;
  const disconnects: Record<string, number> = {};
  for (const h of hubs) {
    for (const [reason, n] of Object.entries(h.disconnects))
      disconnects[reason] = (disconnects[reason] ?? 0) + n;
  }
  const sum = (pick: (h: (typeof hubs)[number]) => number): number => hubs.reduce((n, h) => n + pick(h), 0);
  return {
    hubs: hubs.length,
    members: sum((h) => h.members),
    rooms: sum((h) => h.rooms),
    disconnects,
    stalls: sum((h) => h.stalls),
    stalled_ms: sum((h) => h.stalledMs),
    longest_stall_ms: Math.max(...hubs.map((h) => h.longestStallMs)),
    over_budget: sum((h) => h.overBudget),
    flood_delays: sum((h) => h.floodDelays),
    deliveries: sum((h) => h.deliveries),
    max_member_queue_bytes: Math.max(...hubs.map((h) => h.maxMemberQueueBytes)),
  };
}
