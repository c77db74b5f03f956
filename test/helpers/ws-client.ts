import { once } from 'node:events';
import { onTestFinished } from 'vitest';
import { WebSocket } from 'ws';

export interface WsMessage {
  readonly data: Buffer;
  readonly binary: boolean;
}

/**
 * A raw `ws` package client that records every message with its type (no compression, so frames
 * arrive as the server wrote them); terminated when the test ends.
 */
export async function wsClient(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  onTestFinished(() => ws.terminate());
  const received: WsMessage[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer, binary) => {
    received.push({ data, binary });
    wake?.();
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(ws, 'open');
  return {
    ws,
    closed,
    async next(): Promise<WsMessage> {
      while (received.length === 0) await new Promise<void>((r) => (wake = r));
      return received.shift()!;
    },
    /** The next message whose text matches, skipping the others (greetings, join notices). */
    async nextMatching(re: RegExp): Promise<WsMessage> {
      for (;;) {
        const m = await this.next();
        if (re.test(m.data.toString('latin1'))) return m;
      }
    },
  };
}
