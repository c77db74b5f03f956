import type { ServerStats } from '../server/serve.js';

export type Health =
  { readonly status: 'ok' } | { readonly status: 'unavailable'; readonly reasons: readonly string[] };

/** DESIGN §9: ok when every listener is up and the backplane connected; otherwise why not. */
export function health(stats: ServerStats): Health {
  const reasons: string[] = [];
  if (stats.closing) reasons.push('server shutting down');
  for (const l of stats.listeners) {
    if (!l.up) reasons.push(`listener ${l.service}@${l.url} is down`);
  }
  const backplane = stats.backplane;
  if (backplane !== undefined && !backplane.up) {
    reasons.push(`backplane ${backplane.kind} ${backplane.description} is unreachable`);
  }
  return reasons.length === 0 ? { status: 'ok' } : { status: 'unavailable', reasons };
}
