import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { WorkerPool } from '../server/workers.js';
import { clusterHealth, clusterVarz } from './cluster-varz.js';
import { json, startMetricsHttp, version, type MetricsEndpoint } from './http-endpoint.js';

/**
 * The metrics endpoint of a `--workers` primary (DESIGN §9, issue 12): `/metrics` is every
 * worker's registry summed by prom-client's AggregatorRegistry (each metric by its `aggregator`:
 * sum, or min/max/first where registry.ts says), followed by the primary's own
 * `switchboard_workers` and `switchboard_worker_restarts_total`; `/varz` and `/healthz` combine
 * what each worker answers over IPC.
 *
 * Why not `AggregatorRegistry#clusterMetrics()`: it asks every worker node:cluster knows, including
 * one still starting (after a restart) that cannot answer yet — the whole scrape then fails after
 * 5 s. The pool asks only its listening workers, leaves out one that does not answer within 2 s,
 * and the same `aggregate()` sums what came.
 */
export async function startClusterMetricsEndpoint(pool: WorkerPool, url: string): Promise<MetricsEndpoint> {
  const own = new Registry();
  new Gauge({
    name: 'switchboard_workers',
    help: 'Worker processes running and listening (--workers)',
    registers: [own],
    collect() {
      this.set(pool.workers.length);
    },
  });
  new Counter({
    name: 'switchboard_worker_restarts_total',
    help: 'Workers started again after one died',
    registers: [own],
    collect() {
      this.reset();
      this.inc(pool.restarts);
    },
  });
  return startMetricsHttp(url, {
    '/metrics': async (res) => {
      // One getMetricsAsJSON() array per worker, as prom-client's own cluster support gathers them.
      const summed = await AggregatorRegistry.aggregate(await pool.metricsJson()).metrics();
      res.writeHead(200, { 'content-type': own.contentType }).end(summed + (await own.metrics()));
    },
    '/healthz': async (res) => {
      const h = clusterHealth(await pool.stats(), pool);
      json(res, h.status === 'ok' ? 200 : 503, h);
    },
    '/varz': async (res) => json(res, 200, clusterVarz(await pool.stats(), pool, version)),
  });
}
