/**
 * `switchboard chat --reconnect` resumes its room (DESIGN §6, issue 11): real server processes,
 * SIGKILLed and restarted on the same port, or failed over to another node on the same Redis; the
 * client runs with stdin a pipe (plain mode), and its stdout is checked line by line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, startServe, type ServeProcess } from '../helpers/cli.js';
import { chatMember, type LineClient } from '../helpers/line-client.js';
import { freePort, startRedis } from '../helpers/redis.js';

interface ChatProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout has a line matching `pattern`. */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Close stdin (as the end of a pipe) and resolve with the exit code. */
  end(): Promise<number | null>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** `switchboard chat ARGS` with stdin a pipe that stays open until end(); killed when the test ends. */
function startChat(args: string[]): ChatProcess {
  const child = spawn(process.execPath, [CLI, 'chat', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  child.stderr.on('data', (d: string) => (err += d));
  child.stdin.on('error', () => undefined);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    until: (pattern, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const lines = new RegExp(pattern.source, `${pattern.flags.replace('m', '')}m`);
        const check = (): void => {
          if (!lines.test(out)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `chat printed no line matching ${pattern} in ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', check);
        };
        child.stdout.on('data', check);
        check();
      }),
    end: () => {
      child.stdin.end();
      return exited;
    },
    exited,
  };
}

/** `n 1` … `n count`, one every `everyMs`: a steady talker, not a burst. */
async function talk(c: LineClient, count: number, everyMs: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    c.send(`n ${i}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The numbers of the `<sender> n N` lines, in the order printed. */
function numbered(stdout: string): number[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('<sender> n '))
    .map((l) => Number(l.slice('<sender> n '.length)));
}

/** N of the `* recovered N lines in ROOM; now at …` notice (the last one). */
function recoveredCount(stdout: string): number {
  const all = [...stdout.matchAll(/^\* recovered (\d+) lines? in lobby; now at @seq=\d+;epoch=[0-9a-f]+$/gm)];
  expect(all.length, stdout).toBeGreaterThan(0);
  return Number(all.at(-1)![1]);
}

const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** SIGKILL a server (a crash: no goodbye to its members) and wait until it is gone. */
async function crash(node: ServeProcess): Promise<void> {
  node.child.kill('SIGKILL');
  await node.exited;
}

/**
 * Issue 11's scenario: two nodes on one Redis, a member on node B saying `n 1` … `n 300` one
 * every 10 ms, `switchboard chat --reconnect` on node A (given URL_A URL_B unless A comes back).
 * Node A is SIGKILLed at line 100, and restarted on its port or not. The client's stdout must hold
 * lines 1..300 once each, in order, the missed ones from its recovery (not history, no gap notice).
 */
async function killNodeA({ restart }: { restart: boolean }) {
  const redis = await startRedis();
  const portA = await freePort();
  const specA = ['--backplane', redis.url, `chat@tcp://127.0.0.1:${portA}?flood=0`];
  const nodeA = await startServe(specA);
  const nodeB = await startServe(['--backplane', redis.url, 'chat@tcp://127.0.0.1:0?flood=0']);
  const [urlA, urlB] = [`tcp://127.0.0.1:${portA}`, nodeB.urls[0]!];
  const chat = startChat([urlA, ...(restart ? [] : [urlB]), '--nick', 'watcher', '--reconnect']);
  await chat.until(/^\* you are now watcher$/);
  const sender = await chatMember(Number(new URL(urlB).port), 'sender');
  const talking = talk(sender, 300, 10);

  await chat.until(/^<sender> n 100$/);
  await crash(nodeA);
  if (restart) await startServe(specA);
  await talking;
  await chat.until(/^<sender> n 300$/, 20_000);
  expect(await chat.end()).toBe(0);

  const out = chat.stdout();
  expect(numbered(out)).toEqual(oneTo(300));
  // Lines were missed while it was away, and came back in the recovery, not as history.
  expect(recoveredCount(out)).toBeGreaterThan(0);
  expect(out).not.toMatch(/^\* cannot recover/m);
  const reconnectedTo = /^\* reconnected to (\S+)$/m.exec(out)?.[1];
  return { out, stderr: chat.stderr(), reconnectedTo, urlA, urlB };
}

describe('switchboard chat --reconnect: resume', () => {
  it('memory backplane: the server restarts with a new epoch, and the client prints the gap notice', async () => {
    const port = await freePort();
    const spec = `chat@tcp://127.0.0.1:${port}?flood=0`;
    const url = `tcp://127.0.0.1:${port}`;
    let server = await startServe([spec]);
    const chat = startChat([url, '--nick', 'watcher', '--reconnect']);
    await chat.until(/^\* you are now watcher$/);
    const sender = await chatMember(port, 'sender');
    await talk(sender, 5, 0);
    await chat.until(/^<sender> n 5$/);

    await crash(server);
    server = await startServe([spec]);
    await chat.until(/^\* recovered \d+ lines? in lobby; now at @seq=\d+;epoch=[0-9a-f]+$/, 15_000);
    const again = await chatMember(port, 'sender');
    again.send('n 6');
    await chat.until(/^<sender> n 6$/);
    expect(await chat.end()).toBe(0);

    const out = chat.stdout();
    expect(numbered(out)).toEqual(oneTo(6));
    const lines = out.split('\n');
    const reconnected = lines.indexOf(`* reconnected to ${url}`);
    const gap = lines.findIndex((l) => l.startsWith('* cannot recover lobby: epoch '));
    const recovered = lines.findIndex((l) => l.startsWith('* recovered '));
    expect(reconnected).toBeGreaterThan(lines.indexOf('<sender> n 5'));
    expect(lines[gap]).toMatch(
      /^\* cannot recover lobby: epoch [0-9a-f]+ is gone \(the room's history was lost\); it is now epoch [0-9a-f]+ at line \d+, and what was said after your line 5 is lost$/,
    );
    expect(gap).toBeGreaterThan(reconnected);
    expect(recovered).toBeGreaterThan(gap);
    // Plain output stays plain: no tags, no position notices, no answer to the client's own /seq on.
    expect(lines.filter((l) => l.startsWith('@seq=') || l.startsWith('* seq on'))).toEqual([]);
  }, 30_000);

  it('/quit still ends it: the close that follows is not a loss to reconnect from', async () => {
    const server = await startServe(['chat@tcp://127.0.0.1:0']);
    const chat = startChat([server.urls[0]!, '--reconnect']);
    await chat.until(/^\* welcome/);
    chat.child.stdin.write('/quit done\n'); // stdin stays open: only /quit can end it
    expect(await chat.exited).toBe(0);
    expect(chat.stdout()).toMatch(/^\* bye$/m);
    expect(chat.stdout()).not.toContain('reconnected');
  }, 20_000);

  it('two nodes on one Redis: node A is SIGKILLed mid-stream and restarted; every line once, in order', async () => {
    const { out, reconnectedTo, urlA } = await killNodeA({ restart: true });
    expect(reconnectedTo).toBe(urlA);
    expect(out).not.toMatch(/^@seq=/m);
  }, 60_000);

  it('two nodes on one Redis: node A is SIGKILLed and stays down; the client fails over to B, every line once', async () => {
    const { reconnectedTo, urlB, stderr } = await killNodeA({ restart: false });
    expect(reconnectedTo).toBe(urlB);
    // The old connection's nick is still held on B (its node is not known dead yet): said once.
    expect(stderr).toMatch(/nick watcher is still held for your previous connection/);
  }, 60_000);
});
