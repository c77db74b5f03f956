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

  it('plain mode: lines piped before the greeting still go out under --nick, and /quit exits 0', async () => {
    const s = await startServer('chat@tcp://127.0.0.1:0');
    const watcher = await lineClient(s.listeners[0]!.port);
    await watcher.expect(/^\* welcome/);
    // stdin is all there at once: without holding it for the greeting, a line could leave as guest-N.
    const runs = await Promise.all(
      ['p1', 'p2', 'p3'].map((nick) =>
        runCli(['chat', s.listeners[0]!.url, '--nick', nick], `first line from ${nick}\n/quit done\n`),
      ),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\* bye$/m);
    }
    // The three run concurrently: their lines arrive in any order.
    await expect
      .poll(() => watcher.lines.filter((l) => l.startsWith('<')).sort(), { timeout: 5000 })
      .toEqual(['<p1> first line from p1', '<p2> first line from p2', '<p3> first line from p3']);
    expect(watcher.lines.filter((l) => l.startsWith('<guest-'))).toEqual([]);
  });

  it('refuses a bad --nick or a udp URL before connecting, with exit 2', async () => {
    const bad = await runCli(['chat', 'tcp://127.0.0.1:1', '--nick', 'no spaces']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "switchboard: --nick 'no spaces' is invalid: use 1-24 letters, digits, _ or -; choose another\n",
    );
    const reserved = await runCli(['chat', 'tcp://127.0.0.1:1', '--nick', 'server']);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/--nick 'server' is reserved/);
    const udp = await runCli(['chat', 'udp://127.0.0.1:1']);
    expect(udp.code).toBe(2);
    expect(udp.stderr).toMatch(
      /chat needs a connection; udp:\/\/127\.0\.0\.1:1 is udp: use tcp:\/\/ or unix:\/\//,
    );
  });

  it('plain mode prints control characters from others visibly, never raw', async () => {
    // The hub strips controls; this checks the client's own line of defence against a hostile server.
    const hostile = await startServer({
      url: 'tcp://127.0.0.1:0?framing=line',
      service: {
        name: 'hostile',
        onMessage: () => undefined,
        onOpen: (session) => void session.send('\x1b[2J\u202Eevil\x07'),
      },
    });
    const r = await runCli(['chat', hostile.listeners[0]!.url], '');
    expect(r.stdout).toBe('^[[2J<U+202E>evil^G\n');
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
    // A line arrives while alice is half-way through typing: it is printed above, and what she
    // had typed is redrawn after the prompt and still goes out whole.
    chat.child.stdin!.write('half typ');
    await expect.poll(chat.output, { timeout: 5000 }).toContain('half typ');
    bob.send('interrupting');
    await expect
      .poll(chat.output, { timeout: 5000 })
      // eslint-disable-next-line no-control-regex -- the terminal's own cursor sequences
      .toMatch(/<guest-1> interrupting\r?\n(?:\x1b\[[0-9;]*[A-Za-z])*> half typ/);
    chat.type('ed line');
    await bob.expect(/^<alice> half typed line$/);
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
