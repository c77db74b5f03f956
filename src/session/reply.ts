import type { Reply } from '../services/service.js';

/**
 * A service reply that is a promise: the session holds this peer's input until it settles, so
 * replies keep their order (aedes reads again only when the handlers of the last batch are done).
 * Shared by connection and datagram sessions.
 */
export function isPromise(value: unknown): value is Promise<Reply> {
  return typeof (value as Promise<Reply> | null | undefined)?.then === 'function';
}

/** What a service's exception or rejection means for the log: its message, whatever was thrown. */
export function failureMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
