import type { BackplaneStats } from '../backplane/backplane.js';
import type { ListenerStats, ServerStats } from '../server/serve.js';
import type { WorkerStatsReport } from '../server/workers.js';
import { health, type Health } from './health.js';
import { varz, type Varz } from './varz.js';

/** What the primary of `--workers` knows of its pool, for `/varz` and `/healthz`. */
export interface PoolView {
  /** Workers the pool runs when all is well. */
  readonly size: number;
  readonly workers: readonly { readonly id: number; readonly pid: number }[];
  readonly restarts: number;
  readonly startedAt: number;
  readonly closing: boolean;
  /** The primary's cluster backplane, when the workers' chat goes through it. */
  readonly backplane?: object | undefined;
}

/** `/varz` of a `--workers` primary: the summary summed over the workers, and each of them. */
export type ClusterVarz = Varz & Required<Pick<Varz, 'workers' | 'worker_restarts'>>;

function addCloses(
  into: Partial<Record<string, number>>,
  from: Readonly<Partial<Record<string, number>>>,
): void {
  for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + (n ?? 0);
}

/**
 * The workers' figures as one server's (DESIGN §9: with --workers the figures are the sum over
 * workers): each listener summed over the workers sharing it (up only while up in every one), each
 * worker's hubs kept as hubs of their own (so members sum; a room with members on two workers counts
 * in each).
 */
export function mergeStats(reports: readonly WorkerStatsReport[], pool: PoolView): ServerStats {
  const listeners = new Map<string, ListenerStats & { closes: Partial<Record<string, number>> }>();
  for (const { stats } of reports) {
    for (const l of stats.listeners) {
      const key = `${l.service}@${l.url}`;
      const sum = listeners.get(key);
      if (sum === undefined) {
        listeners.set(key, { ...l, closes: { ...l.closes } });
        continue;
      }
      listeners.set(key, {
        ...sum,
        up: sum.up && l.up,
        connections: sum.connections + l.connections,
        connectionsTotal: sum.connectionsTotal + l.connectionsTotal,
        messagesIn: sum.messagesIn + l.messagesIn,
        messagesOut: sum.messagesOut + l.messagesOut,
        bytesIn: sum.bytesIn + l.bytesIn,
        bytesOut: sum.bytesOut + l.bytesOut,
        refusedFull: sum.refusedFull + l.refusedFull,
        refusedForDescriptors: sum.refusedForDescriptors + l.refusedForDescriptors,
        tlsHandshakeFailures: sum.tlsHandshakeFailures + l.tlsHandshakeFailures,
      });
      addCloses(listeners.get(key)!.closes, l.closes);
    }
  }
  return {
    startedAt: pool.startedAt,
    closing: pool.closing || reports.some((r) => r.stats.closing),
    listeners: [...listeners.values()],
    services: reports.flatMap((r) => r.stats.services),
    backplane: mergeBackplanes(reports.map((r) => r.stats.backplane)),
  };
}

/** The workers' backplanes as one: counts summed, up only if every worker's is. */
function mergeBackplanes(all: ReadonlyArray<BackplaneStats | undefined>): BackplaneStats | undefined {
  const present = all.filter((b): b is BackplaneStats => b !== undefined);
  if (present.length === 0) return undefined;
  const sum = (pick: (b: BackplaneStats) => number): number => present.reduce((n, b) => n + pick(b), 0);
  return {
    kind: present[0]!.kind,
    description: present[0]!.description,
    up: present.every((b) => b.up),
    gapFills: sum((b) => b.gapFills),
    linesFilled: sum((b) => b.linesFilled),
    lost: sum((b) => b.lost),
    timeouts: sum((b) => b.timeouts),
    refused: sum((b) => b.refused),
    pending: sum((b) => b.pending),
    lagMs: Math.max(...present.map((b) => b.lagMs)),
  };
}

/** `/varz` for the primary: the merged figures, the memory of every worker, and each worker. */
export function clusterVarz(
  reports: readonly WorkerStatsReport[],
  pool: PoolView,
  version: string,
): ClusterVarz {
  const codes = new Map<number, number>();
  for (const r of reports)
    for (const [code, n] of r.wsCloseCodes) codes.set(code, (codes.get(code) ?? 0) + n);
  const summary = varz(mergeStats(reports, pool), version, codes);
  return {
    ...summary,
    mem_rss_bytes: summary.mem_rss_bytes + reports.reduce((n, r) => n + r.rssBytes, 0),
    workers: reports.map((r) => ({
      id: r.id,
      pid: r.pid,
      connections: r.stats.listeners.reduce((n, l) => n + l.connections, 0),
      mem_rss_bytes: r.rssBytes,
    })),
    worker_restarts: pool.restarts,
    // The workers' chat goes through the primary, which is up while it answers this.
    ...(pool.backplane !== undefined && {
      backplane: { ...summary.backplane, kind: 'cluster' as const, description: 'the primary', up: true },
    }),
  };
}

/** `/healthz` for the primary: every worker's listeners up, and every worker there and answering. */
export function clusterHealth(reports: readonly WorkerStatsReport[], pool: PoolView): Health {
  const merged = health(mergeStats(reports, pool));
  const reasons = merged.status === 'ok' ? [] : [...merged.reasons];
  const answered = new Set(reports.map((r) => r.pid));
  const silent = pool.workers.filter((w) => !answered.has(w.pid));
  for (const w of silent) reasons.push(`worker ${w.id} (pid ${w.pid}) did not answer`);
  if (pool.workers.length < pool.size) {
    reasons.push(`${pool.size - pool.workers.length} of ${pool.size} workers not running (restarting)`);
  }
  return reasons.length === 0 ? { status: 'ok' } : { status: 'unavailable', reasons };
}
