import type { ChatOptions } from './options.js';

/**
 * One `chat@URL` listener's share of a hub: the limits its members get (flood, queue, line length
 * come from that listener's URL) and whether it is shutting down. Several listeners may share one
 * hub (`?hub=NAME`): nc users on TCP and others on a Unix socket (or, later, WebSocket) in one room.
 */
export class ChatListener {
  /** Set by shutdown(): its members are leaving with the server, not one by one. */
  closing = false;

  constructor(readonly options: ChatOptions) {}
}
