import { describe, expect, it, onTestFinished } from 'vitest';
import { serve, type ListenerSpec } from '../../src/server/serve.js';
import { onTerminal, runCli, startServe } from '../helpers/cli.js';

async function server(spec: ListenerSpec | ListenerSpec[]) {
  const s = await serve(spec);
  onTestFinished(() => s.close());
  return s;
}

/** Type `lines` at the interactive client, each once the prompt is back, as a person would. */
async function typeAtPrompt(
  args: string[],
  lines: string[],
): Promise<{ code: number | null; output: string }> {
  const terminal = onTerminal(args);
  const prompts = (): number => terminal.output().split('> ').length - 1;
  await expect.poll(prompts, { timeout: 5000 }).toBeGreaterThan(0);
  for (const [i, line] of lines.entries()) {
    const before = prompts();
    terminal.type(line);
    // The last line may quit, so no prompt follows it.
    if (i < lines.length - 1) await expect.poll(prompts, { timeout: 5000 }).toBeGreaterThan(before);
  }
  return { code: await terminal.exited, output: terminal.output() };
}

describe('switchboard connect, stdin not a terminal (like nc)', () => {
  it('sends stdin, prints the replies, and exits 0 when both sides are done (raw)', async () => {
    const s = await server('upper@tcp://127.0.0.1:0');
    const r = await runCli(['connect', s.listeners[0]!.url], 'hello\nworld\n');
    expect(r).toMatchObject({ code: 0, stdout: 'HELLO\nWORLD\n' });
  });

  it('sends one frame per line and prints one reply per line (len32be)', async () => {
    const s = await server('upper@tcp://127.0.0.1:0?framing=len32be');
    const r = await runCli(['connect', `${s.listeners[0]!.url}?framing=len32be`], 'hello\nstraße\n\nlast');
    // An empty line is a legal empty frame in a length-prefixed framing: it gets an empty reply.
    expect(r).toMatchObject({ code: 0, stdout: 'HELLO\nSTRASSE\n\nLAST\n' });
  });

  it('over UDP sends a datagram per line and waits for every reply', async () => {
    const s = await server('upper@udp://127.0.0.1:0');
    const r = await runCli(['connect', s.listeners[0]!.url], 'one\ntwo\nthree\n');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').sort()).toEqual(['', 'ONE', 'THREE', 'TWO']);
  });

  it('over UDP reports lost replies and exits 1', async () => {
    // A service that answers nothing: every datagram goes unanswered.
    const s = await server({ url: 'udp://127.0.0.1:0', service: () => undefined });
    const r = await runCli(['connect', s.listeners[0]!.url, '--wait', '200'], 'a\nb\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('2 of 2 datagrams got no reply within 200 ms');
  });

  it('says the connection was refused and exits 1', async () => {
    const s = await serve('upper@tcp://127.0.0.1:0');
    const url = s.listeners[0]!.url;
    await s.close();
    const r = await runCli(['connect', url], 'x\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^switchboard: connection to 127\.0\.0\.1:\d+ refused; is the server running\?/);
  });

  it.each([
    [['connect', 'ftp://127.0.0.1:21'], /unknown scheme 'ftp'/],
    [['connect', 'tcp://127.0.0.1'], /no port/],
    [['connect', 'tcp://127.0.0.1:1', '--framing', 'xml'], /Allowed choices are raw, line, len32be, len32le/],
    [['connect'], /missing required argument 'url'/],
  ])('exits 2 for bad usage: %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('switchboard connect at a terminal', () => {
  it('prompts, prints replies, refuses an empty line with a notice, and quits on q', async () => {
    const s = await server('upper@tcp://127.0.0.1:0');
    const r = await typeAtPrompt(['connect', s.listeners[0]!.url], ['hello there', '', 'q']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('HELLO THERE');
    expect(r.output).toContain('* empty message not sent; type some text, or q to quit');
    expect(s.connections).toBe(0);
  });

  it('reports the server going away and exits 1', async () => {
    const s = await startServe(['upper@tcp://127.0.0.1:0']);
    const terminal = onTerminal(['connect', s.urls[0]!]);
    await expect.poll(terminal.output, { timeout: 5000 }).toContain('> ');
    s.child.kill('SIGTERM');
    expect(await terminal.exited).toBe(1);
    expect(terminal.output()).toMatch(/switchboard: tcp:\/\/127\.0\.0\.1:\d+ closed the connection/);
  });

  it('with --reconnect, survives a server restart on the same port and goes on', async () => {
    const first = await startServe(['upper@tcp://127.0.0.1:0']);
    const url = first.urls[0]!;
    const terminal = onTerminal(['connect', url, '--reconnect']);
    await expect.poll(terminal.output, { timeout: 5000 }).toContain('> ');
    first.child.kill('SIGTERM');
    await first.exited;
    await expect.poll(terminal.output, { timeout: 5000 }).toMatch(/\* reconnecting in \d+ ms \(attempt 1\)/);
    await startServe([`upper@${url}`]);
    await expect.poll(terminal.output, { timeout: 10_000 }).toContain(`* reconnected to ${url}`);
    terminal.type('back again');
    await expect.poll(terminal.output, { timeout: 5000 }).toContain('BACK AGAIN');
    terminal.type('q');
    expect(await terminal.exited).toBe(0);
  });
});
