import type { NodeMessage, RoomLine, RoomSnapshot, SequencedLine } from './backplane.js';

/**
 * What the workers of `--workers` and their primary say to each other about chat (DESIGN §8), over
 * node:cluster's IPC channel (JSON, one ordered pipe per worker). Every message carries `sb: 'bp'`,
 * so other users of the channel (prom-client's metrics requests, the supervisor's control
 * messages) can share it.
 *
 * A request that wants an answer has an `id` and a deadline `dl` (ms since the epoch: one machine,
 * one clock); the primary refuses one whose deadline has passed instead of acting on it late, so a
 * worker that gave up on a request (told its sender "not sent") never sees it take effect after all.
 */
export type WorkerRequest =
  /** This worker starts carrying hub `hub` as node `node`; its rooms keep `history` lines. */
  | {
      readonly sb: 'bp';
      readonly op: 'open';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
      readonly node: string;
      readonly history: number;
    }
  /** Number a line; it comes back as `line` to every watcher, with `id` to this worker. */
  /** Anything there? (asked while the primary seems not to answer, to notice it back). */
  | { readonly sb: 'bp'; readonly op: 'ping'; readonly id: number }
  | {
      readonly sb: 'bp';
      readonly op: 'publish';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
      readonly room: string;
      readonly line: RoomLine;
    }
  | {
      readonly sb: 'bp';
      readonly op: 'watch';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
      readonly room: string;
    }
  | { readonly sb: 'bp'; readonly op: 'unwatch'; readonly hub: string; readonly room: string }
  | {
      readonly sb: 'bp';
      readonly op: 'broadcast';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
      readonly message: NodeMessage;
    }
  | {
      readonly sb: 'bp';
      readonly op: 'guest';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
    }
  | {
      readonly sb: 'bp';
      readonly op: 'claim';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
      readonly key: string;
      readonly member: number;
    }
  | {
      readonly sb: 'bp';
      readonly op: 'release';
      readonly hub: string;
      readonly key: string;
      readonly member: number;
    }
  /** The worker leaves the hub (shutdown): its nicks are freed, the others hear `bye`. */
  | {
      readonly sb: 'bp';
      readonly op: 'close';
      readonly id: number;
      readonly dl: number;
      readonly hub: string;
    };

/** What a request is answered with, by kind. */
export interface ReplyValues {
  open: null;
  ping: null;
  publish: null;
  watch: RoomSnapshot;
  broadcast: null;
  guest: number;
  claim: boolean;
  close: null;
}

export type PrimaryMessage =
  | { readonly sb: 'bp'; readonly op: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly sb: 'bp'; readonly op: 'reply'; readonly id: number; readonly error: string }
  /** A numbered line of a room this worker watches; `id` answers this worker's own publish. */
  | {
      readonly sb: 'bp';
      readonly op: 'line';
      readonly hub: string;
      readonly room: string;
      readonly line: SequencedLine;
      readonly id?: number;
    }
  /** Another node's message (presence, a private message), or the primary's `bye` for a dead worker. */
  | { readonly sb: 'bp'; readonly op: 'node'; readonly hub: string; readonly message: NodeMessage };

/** Several messages to one peer in one IPC message (see Outbox). */
export interface Batch<M> {
  readonly sb: 'bp';
  readonly op: 'batch';
  readonly messages: readonly M[];
}

/**
 * Messages to one peer, gathered for the rest of the current run of code and sent as one IPC message
 * — one JSON text and one write instead of one each (node:cluster's IPC costs ~10 µs a message). A
 * worker publishes every line of a socket read in one run, and the primary handles every message of
 * an IPC read in one run (node:child_process emits them in consecutive ticks, before microtasks), so
 * a flat-out room costs a few IPC messages per turn, not three per line. Order is kept: one queue
 * per peer; latency is not added: the flush is a microtask.
 */
export class Outbox<M> {
  private queue: M[] = [];

  constructor(private readonly send: (message: M | Batch<M>) => void) {}

  post(message: M): void {
    if (this.queue.push(message) === 1) queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    const messages = this.queue;
    this.queue = [];
    if (messages.length === 1) this.send(messages[0]!);
    else if (messages.length > 1) this.send({ sb: 'bp', op: 'batch', messages });
  };
}

export function isBatch<M>(message: M | Batch<M>): message is Batch<M> {
  return (message as { op?: unknown }).op === 'batch';
}

/** Whether an IPC message is one of ours (the channel carries others too). */
export function isBackplaneMessage(message: unknown): message is { readonly sb: 'bp'; readonly op: string } {
  return typeof message === 'object' && message !== null && (message as { sb?: unknown }).sb === 'bp';
}
