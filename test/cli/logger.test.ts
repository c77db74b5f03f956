import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, TruncatedFrameError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../helpers/socket.js';

function collector(): { write(line: string): void; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  return {
    write: (line) => void out.push(line),
    lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// Issue 13, item 6: what the log says, and how much of it.
describe('createLogger', () => {
  it('logs an error with a code as one line without a stack; other errors keep theirs', () => {
    const sink = collector();
    const log = createLogger('info', sink);
    log.warn({ peer: '127.0.0.1:1', err: new TruncatedFrameError(3, 10) }, 'truncated');
    log.error({ err: new Error('a bug') }, 'bug');
    const [known, bug] = sink.lines();
    expect(known!.err).toEqual({
      type: 'TruncatedFrameError',
      code: 'TRUNCATED_FRAME',
      message: 'stream ended after 3 of 10 frame bytes; the peer closed mid-message',
    });
    expect((bug!.err as { stack?: string }).stack).toContain('a bug');
  });

  it('rate-limits warnings per kind: 10 a second, then one line counting the rest', async () => {
    const sink = collector();
    const log = createLogger('info', sink);
    for (let i = 0; i < 500; i++) {
      log.warn(
        { peer: `127.0.0.1:${1000 + i}`, code: 'FRAME_TOO_LARGE' },
        new FrameTooLargeError(i, 1).message,
      );
      log.warn(
        { peer: `127.0.0.1:${1000 + i}` },
        `127.0.0.1:${1000 + i}: refused, 5 connections already open`,
      );
      log.info({ peer: `127.0.0.1:${1000 + i}` }, 'connect');
    }
    expect(sink.lines().filter((l) => l.code === 'FRAME_TOO_LARGE')).toHaveLength(10);
    expect(sink.lines().filter((l) => String(l.msg).includes('refused'))).toHaveLength(10);
    expect(sink.lines().filter((l) => l.msg === 'connect')).toHaveLength(500); // info is not limited
    await expect
      .poll(() => sink.lines().filter((l) => l.suppressed !== undefined), { timeout: 3000 })
      .toHaveLength(2);
    const summary = sink.lines().find((l) => l.kind === 'FRAME_TOO_LARGE')!;
    expect(summary).toMatchObject({ level: 40, suppressed: 490 });
    expect(summary.msg).toBe(
      "490 more 'FRAME_TOO_LARGE' warnings in 1 s not logged (at most 10 a second of each kind)",
    );
  });
});

describe('tcp peer names', () => {
  it('a client that resets before it is accepted is not logged as ?:?', async () => {
    const sink = collector();
    const server = await startServer('echo@tcp://127.0.0.1:0', { logger: createLogger('info', sink) });
    const port = server.listeners[0]!.port;
    // A child connects and resets while this process is blocked in spawnSync: the reset arrives
    // before the accept.
    const script = `const s=require('net').connect(${port},'127.0.0.1',()=>{s.resetAndDestroy();setTimeout(()=>process.exit(0),50)})`;
    spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
    await expect.poll(() => sink.lines().filter((l) => l.msg === 'close'), { timeout: 5000 }).toHaveLength(1);
    const peers = sink.lines().map((l) => String(l.peer));
    expect(peers.some((p) => p.includes('?:?'))).toBe(false);
    expect(peers[0]).toMatch(/^(127\.0\.0\.1:\d+|peer#\d+ \(reset before accept, to 127\.0\.0\.1:\d+\))$/);
  });
});
