import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backplane } from './backplane.js';
import { MemoryBackplane } from './memory.js';

export type {
  Backplane,
  BackplaneEvents,
  HubBackplane,
  HubBackplaneOptions,
  NickOwner,
  NodeMessage,
  RemoteMember,
  RoomLine,
  RoomSnapshot,
  SequencedLine,
} from './backplane.js';
export { MemoryBackplane } from './memory.js';
export { RoomLog } from './room-log.js';
export { ClusterBackplane, workerChannel } from './cluster.js';
export type { ClusterBackplaneOptions, ClusterChannel } from './cluster.js';
export { ClusterPrimary } from './cluster-primary.js';
export type { ClusterPrimaryOptions, WorkerLink } from './cluster-primary.js';

/**
 * The backplane a `--backplane URL` names: `redis://HOST:PORT[/DB]` (or `rediss://`), or `memory`.
 * ioredis is loaded only for Redis: a server without a backplane never loads it.
 */
export async function createBackplane(url: string, logger?: Logger): Promise<Backplane> {
  if (url === 'memory') return new MemoryBackplane();
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { RedisBackplane, redisBackplaneOptions } = await import('./redis.js');
    return new RedisBackplane(redisBackplaneOptions(url, logger));
  }
  throw new InvalidOptionError(
    `--backplane ${url}: unknown backplane; use redis://HOST:PORT[/DB] (or rediss://), or memory`,
  );
}
