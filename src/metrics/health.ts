import type { ServerStats } from '../server/serve.js';

/**
 * The chat backplane: in-process (memory) until the Redis backplane lands (DESIGN §8), so it is
 * always up. With Redis, `/healthz` will also say 503 while Redis is unreachable.
 */
export const BACKPLANE = { kind: 'memory', up: true } as const;

export type Health =
  { readonly status: 'ok' } | { readonly status: 'unavailable'; readonly reasons: readonly string[] };

/** DESIGN §9: ok when every listener is up and the backplane connected; otherwise why not. */
export function health(stats: ServerStats): Health {
  const reasons: string[] = [];
  if (stats.closing) reasons.push('server shutting down');
  for (const l of stats.listeners) {
    if (!l.up) reasons.push(`listener ${l.service}@${l.url} is down`);
  }
  if (!BACKPLANE.up) reasons.push(`backplane ${BACKPLANE.kind} is down`);
  return reasons.length === 0 ? { status: 'ok' } : { status: 'unavailable', reasons };
}
