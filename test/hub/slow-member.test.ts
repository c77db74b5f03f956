import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lineClient } from '../helpers/line-client.js';
import { measuredServer } from '../helpers/measured-server.js';
import { frozenPeer } from '../helpers/socket.js';

describe('a member that never reads', () => {
  it('is disconnected with the reason while the others keep receiving, and server memory stays bounded', async () => {
    const server = await measuredServer(['chat@tcp://127.0.0.1:0?flood=0&history=0']);
    const port = server.ports[0]!;

    await frozenPeer(port); // reads the greeting, then nothing more

    const watcher = connect(port, '127.0.0.1');
    onTestFinished(() => {
      watcher.destroy();
    });
    let watched = 0;
    let watchedText = '';
    watcher.on('data', (d: Buffer) => {
      for (const b of d) if (b === 0x0a) watched++;
      // Keep only the notices (lines starting '* '), not the 50 MB of chat.
      for (const line of d.toString('latin1').split('\n'))
        if (line.startsWith('* ')) watchedText += `${line}\n`;
    });
    const sender = await lineClient(port);
    await sender.expect(/^\* welcome/);
    const before = await server.measure();

    const lines = 12_500;
    const line = 'x'.repeat(3_990);
    for (let i = 0; i < lines; i++) {
      if (!sender.socket.write(`${line}\n`)) await once(sender.socket, 'drain');
      // Pace the sender to what a reading member takes (it shares this process with the watcher),
      // so only the frozen member falls behind: at most ~240 KB in flight to the watcher, well
      // under the 1 MiB that would get the watcher disconnected as too slow as well.
      if (i % 25 === 24)
        await expect.poll(() => watched, { timeout: 10_000, interval: 2 }).toBeGreaterThan(i - 60);
    }
    // The watcher gets every line, plus the join/leave notices.
    await expect.poll(() => watched, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(lines);
    const after = await server.measure();

    expect(watchedText).toMatch(/^\* guest-1 left \(too slow \(\d+ bytes queued, limit 1048576\)\)$/m);
    // 50 MB went through; a server that queued for the frozen member would keep ~40 MB of it.
    const keptBytes = after.arrayBuffers - before.arrayBuffers;
    console.log(
      `frozen member, 50 MB relayed: buffers kept ${(keptBytes / 1e6).toFixed(1)} MB, RSS +${((after.rss - before.rss) / 1e6).toFixed(1)} MB`,
    );
    expect(keptBytes).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);
});
