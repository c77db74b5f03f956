import { describe, expect, it } from 'vitest';
import { lineClient } from '../helpers/line-client.js';
import { onTerminal, portOf, runCli, startServe } from '../helpers/cli.js';
import { startServer } from '../helpers/socket.js';

const chatOnTerminal = (args: string[]) => onTerminal(['chat', ...args]);

describe('switchboard chat', () => {
  it('plain mode: sends each stdin line, prints what arrives, exits 0', async () => {
    const s = await startServer('chat@tcp://127.0.0.1:0');
    const watcher = await lineClient(s.listeners[0]!.port);
    await watcher.expect(/^\* welcome/);
    const r = await runCli(['chat', s.listeners[0]!.url, '--nick', 'piper'], 'hello from a pipe\n/who\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\* welcome to switchboard chat, guest-\d+!/);
    expect(r.stdout).toContain('* you are now piper');
    await watcher.expect(/^<piper> hello from a pipe$/);
  });

  it('at a terminal: --nick, talk, see others above the prompt, /quit exits 0', async () => {
    const s = await startServer('chat@tcp://127.0.0.1:0');
    const bob = await lineClient(s.listeners[0]!.port);
    await bob.expect(/^\* welcome/);
    const chat = chatOnTerminal([s.listeners[0]!.url, '--nick', 'alice']);
    await expect.poll(chat.output, { timeout: 5000 }).toContain('* you are now alice');
    bob.send('hi alice \x1b[2J');
    await expect.poll(chat.output, { timeout: 5000 }).toContain('<guest-1> hi alice');
    chat.type('hi bob');
    await bob.expect(/^<alice> hi bob$/);
    chat.type('/quit');
    expect(await chat.exited).toBe(0);
    expect(chat.output()).not.toContain('\x1b[2J');
  });

  it('reports the server going away and exits 1', async () => {
    const serve = await startServe(['chat@tcp://127.0.0.1:0']);
    const chat = chatOnTerminal([serve.urls[0]!]);
    await expect.poll(chat.output, { timeout: 5000 }).toContain('* welcome');
    serve.child.kill('SIGTERM');
    expect(await chat.exited).toBe(1);
    expect(chat.output()).toContain('* server shutting down');
    expect(chat.output()).toMatch(/switchboard: tcp:\/\/127\.0\.0\.1:\d+ closed the connection/);
  });

  it('with --reconnect, rejoins with the same nick and room after a restart', async () => {
    const first = await startServe(['chat@tcp://127.0.0.1:0']);
    const url = first.urls[0]!;
    const chat = chatOnTerminal([url, '--nick', 'carol', '--reconnect']);
    await expect.poll(chat.output, { timeout: 5000 }).toContain('* you are now carol');
    chat.type('/join dev');
    await expect.poll(chat.output, { timeout: 5000 }).toContain('* you joined dev');
    first.child.kill('SIGTERM');
    await first.exited;
    await startServe([`chat@${url}`]);
    const dev = await lineClient(portOf(url));
    await dev.expect(/^\* welcome/);
    dev.send('/join dev');
    await dev.expect(/^\* you joined dev/);
    await dev.expect(/^\* carol joined dev$/, 15_000);
    chat.type('back in dev');
    await dev.expect(/^<carol> back in dev$/);
  });
});
