import cluster from 'node:cluster';
import { createBackplane } from '../backplane/index.js';
import type { Backplane } from '../backplane/backplane.js';
import { reportStartFailure, serveWorker, startWorkers, type WorkerPool } from '../server/workers.js';
import { cliLogger } from './cli-logger.js';
import { exitCodeFor, fail } from './exit-codes.js';
import {
  banner,
  handleSignals,
  metricsLine,
  serveOptionsFrom,
  watchDescriptors,
  type ServeFlags,
} from './serve.js';

/**
 * `switchboard serve --workers N` (DESIGN §8): node:cluster runs this same command line again in
 * each worker, so one function serves both sides — the primary supervises and prints the banner,
 * each worker serves the listeners.
 */
export async function runWorkers(listeners: readonly string[], flags: ServeFlags): Promise<void> {
  if (cluster.isWorker) return runWorker(listeners, flags);
  return runPrimary(listeners, flags);
}

/** What the banner says of the workers and of how their chat is shared. */
export function workersLine(pool: WorkerPool, backplane: string | undefined): string {
  const pids = pool.workers.map((w) => w.pid).join(', ');
  const chat =
    backplane === undefined
      ? 'chat shared through the primary (cluster backplane)'
      : `chat shared through ${backplane}`;
  const n = pool.workers.length;
  return `workers: ${n} ${n === 1 ? 'process' : 'processes'} (pids ${pids}) share every listener; ${chat}\n`;
}

async function runPrimary(listeners: readonly string[], flags: ServeFlags): Promise<void> {
  const logger = await cliLogger(flags.logLevel);
  watchDescriptors(logger);
  const pool = await startWorkers(listeners, {
    workers: flags.workers ?? 1,
    logger,
    clusterBackplane: flags.backplane === undefined,
    ...(flags.shutdownTimeout !== undefined && { shutdownTimeoutMs: flags.shutdownTimeout }),
    ...(flags.metrics !== undefined && { metrics: flags.metrics }),
  }).catch(fail);
  handleSignals(
    () => pool.close().then(() => pool.exited),
    logger,
    () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    },
  );
  // Given up on a crash loop (or every worker gone): exit with what the pool says.
  void pool.exited.then((code) => process.exit(code));
  let text = banner(pool.listeners, listeners);
  if (pool.metrics !== undefined) text += metricsLine(pool.metrics.url);
  text += workersLine(pool, flags.backplane === undefined ? undefined : redact(flags.backplane));
  process.stdout.write(text);
}

/** A backplane URL for the banner, without a password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function runWorker(listeners: readonly string[], flags: ServeFlags): Promise<void> {
  // Every log line of a worker names it: which worker took a connection, which one failed.
  const logger = (await cliLogger(flags.logLevel)).child({ worker: cluster.worker!.id, pid: process.pid });
  // The primary warns about a low descriptor limit once; each worker logs running out.
  watchDescriptors(logger, false);
  // A terminal's Ctrl-C (SIGINT) and hang-up (SIGHUP) reach the whole process group: the primary
  // handles them and tells each worker to stop. SIGTERM to a worker alone stops that worker
  // gracefully (the primary then starts another).
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  let backplane: Backplane | undefined;
  try {
    if (flags.backplane !== undefined) backplane = await createBackplane(flags.backplane, logger);
  } catch (err) {
    await reportStartFailure(err);
    process.exit(exitCodeFor(err));
  }
  const server = await serveWorker(listeners, {
    ...serveOptionsFrom(flags, logger),
    ...(backplane !== undefined && { backplane }),
    ...(flags.metrics !== undefined && { metrics: flags.metrics }),
  }).catch((err: unknown) => process.exit(exitCodeFor(err)));
  process.on('SIGTERM', () => void server.close());
  void server.closed.then(() => process.exit(0));
}
