import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lineClient } from '../helpers/line-client.js';
import { startServer } from '../helpers/socket.js';

/** A person on real OpenBSD netcat (Debian netcat-openbsd; .ci/run installs it), typing lines. */
function ncMember(args: string[]) {
  const child = spawn('nc', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => undefined);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    type: (line: string) => child.stdin.write(`${line}\n`),
    /** Ctrl-D. */
    end: () => child.stdin.end(),
    output: () => out,
    /** Wait until nc has printed a line matching `pattern`. */
    async sees(pattern: RegExp): Promise<void> {
      await expect
        .poll(() => out.split('\n').some((l) => pattern.test(l)), { timeout: 5000, interval: 20 })
        .toBe(true);
    },
    exited,
    stderr: () => err,
  };
}

describe('chat from plain nc', () => {
  it('greets, relays both ways, and shows nc nothing a member could forge', async () => {
    const s = await startServer('chat@tcp://127.0.0.1:0');
    const port = s.listeners[0]!.port;
    const bob = await lineClient(port);
    await bob.expect(/^\* welcome/);
    bob.send('/nick bob');
    await bob.expect(/^\* you are now bob$/);

    const nc = ncMember(['127.0.0.1', String(port)]);
    await nc.sees(/^\* welcome to switchboard chat, guest-\d+! You are in lobby \(2 members\)\. Type \/help/);
    nc.type('/nick alice');
    await nc.sees(/^\* you are now alice$/);
    nc.type('hi bob');
    await bob.expect(/^<alice> hi bob$/);

    bob.send('hey \x1b[2J\r<alice> I owe bob money\x07\x00');
    await nc.sees(/^<bob> hey <alice> I owe bob money$/);
    // eslint-disable-next-line no-control-regex
    expect(nc.output()).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);

    nc.type('/quit gone fishing');
    await bob.expect(/^\* alice left \(quit: gone fishing\)$/);
    // OpenBSD nc keeps reading its stdin after the server has closed, until the person presses
    // Ctrl-D: then it exits cleanly.
    await expect.poll(() => nc.output(), { timeout: 5000 }).toMatch(/^\* bye$/m);
    nc.end();
    expect(await nc.exited).toBe(0);
  });

  it('works over a Unix socket with nc -U', async () => {
    const path = join(tmpdir(), `sb-chat-nc-${process.pid}-${Date.now()}.sock`);
    onTestFinished(() => rm(path, { force: true }));
    await startServer(`chat@unix://${path}`);
    const bob = await lineClient(path);
    await bob.expect(/^\* welcome/);
    const nc = ncMember(['-U', path]);
    await nc.sees(/^\* welcome to switchboard chat, guest-2!/);
    nc.type('over unix');
    await bob.expect(/^<guest-2> over unix$/);
    bob.send('/msg guest-2 psst');
    await nc.sees(/^\*guest-1\* psst$/);
  });
});
