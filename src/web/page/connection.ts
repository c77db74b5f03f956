/**
 * The page's link to the hub: one WebSocket, one line per text message (DESIGN §6), reopened with
 * backoff when it drops (the same full-jitter Backoff as `switchboard chat --reconnect`).
 */
import { Backoff } from '../../client/backoff.js';

export type LinkState = 'connecting' | 'open' | 'closed';

export interface LinkEvents {
  onLine(line: string): void;
  onState(state: LinkState, detail: string): void;
}

export class ChatLink {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 10_000 });

  constructor(
    private readonly url: string,
    private readonly events: LinkEvents,
  ) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.events.onState('connecting', 'connecting…');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.backoff.reset();
      this.events.onState('open', 'connected');
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      // The hub answers text with text; a binary message would not be chat (DESIGN §2).
      if (typeof event.data === 'string') this.events.onLine(event.data);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) {
        this.events.onState('closed', 'disconnected');
        return;
      }
      const delay = this.backoff.next() ?? 10_000;
      this.events.onState('closed', `disconnected; trying again in ${(delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.start(), delay);
    });
  }

  /** Send one line (no newline: one WebSocket message is one line). False when not connected. */
  send(line: string): boolean {
    if (!this.open) return false;
    this.ws!.send(line);
    return true;
  }

  /** Stay disconnected (after /quit) until start() is called again. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
