import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { connect, type Client } from '../client/client.js';
import { printable } from '../client/printable.js';
import { ExitCode, fail } from './exit-codes.js';

interface ChatFlags {
  nick?: string;
  reconnect?: boolean;
}

/** What the client keeps of its place in the chat, to restore it after a reconnect. */
interface ChatState {
  nick: string | undefined;
  room: string | undefined;
}

function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

/**
 * Follow the server's notices about us: the greeting (nick and room), renames, joins, parts.
 * On a fresh greeting, ask back for the nick and room we had (or asked for with --nick).
 */
function track(client: Client, state: ChatState, line: string): void {
  const welcome = /^\* welcome to switchboard chat, (\S+)! You are in (\S+) /.exec(line);
  if (welcome !== null) {
    const [, assigned, room] = welcome;
    if (state.nick !== undefined && state.nick !== assigned) client.send(`/nick ${state.nick}`);
    else state.nick = assigned;
    if (state.room !== undefined && state.room !== room) client.send(`/join ${state.room}`);
    else state.room = room;
    return;
  }
  const renamed = /^\* you are now (\S+)$/.exec(line);
  if (renamed !== null) state.nick = renamed[1];
  const joined = /^\* you joined (\S+) /.exec(line);
  if (joined !== null) state.room = joined[1];
  if (line.startsWith('* you left ')) state.room = undefined;
}

function interactive(client: Client, state: ChatState): void {
  let quitting = false;
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  const show = (text: string): void => {
    // Print above the line being typed, then redraw the prompt and what was typed so far.
    process.stdout.write(`\r\x1b[K${text}\n`);
    rl.prompt(true);
  };
  client.on('message', (m) => {
    const line = m.toString('utf8');
    track(client, state, line);
    show(printable(line));
  });
  client.on('disconnect', () => show(`* connection to ${client.url} lost`));
  client.on('reconnecting', ({ attempt, delayMs }) =>
    show(`* reconnecting in ${delayMs} ms (attempt ${attempt})`),
  );
  client.on('reconnect', () => show(`* reconnected to ${client.url}`));
  client.on('close', (err) => {
    const asked = quitting;
    quitting = true; // nothing more to send: closing readline below must not send /quit
    rl.close();
    if (asked) return exit(ExitCode.OK);
    process.stderr.write(`\nswitchboard: ${err?.message ?? `${client.url} closed the connection`}\n`);
    exit(ExitCode.FAILURE);
  });
  rl.on('line', (line) => {
    if (line.trim() === '') return rl.prompt();
    if (/^\/quit\b/i.test(line)) quitting = true;
    try {
      client.send(line);
    } catch (err) {
      show(`* not sent: ${(err as Error).message}`);
    }
    rl.prompt();
  });
  rl.on('close', () => {
    // Ctrl-D: leave the way /quit does.
    if (quitting) return;
    quitting = true;
    client.send('/quit');
  });
  rl.prompt();
}

/** stdin not a terminal: send each line, print each line, exit when both sides are done. */
function plain(client: Client, state: ChatState): void {
  let inputDone = false;
  client.on('message', (m) => {
    const line = m.toString('utf8');
    track(client, state, line);
    process.stdout.write(`${printable(line)}\n`);
  });
  client.on('close', (err) => {
    if (err !== undefined || !inputDone) {
      process.stderr.write(`switchboard: ${err?.message ?? `${client.url} closed the connection`}\n`);
      return exit(ExitCode.FAILURE);
    }
    exit(ExitCode.OK);
  });
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() !== '') client.send(line);
  });
  rl.on('close', () => {
    inputDone = true;
    client.end().catch(() => undefined);
  });
}

export function chatCommand(): Command {
  return new Command('chat')
    .description('chat client: talk in a switchboard chat hub')
    .argument('<url>', 'the chat listener, e.g. tcp://127.0.0.1:8089')
    .option('--nick <name>', 'the nick to take once connected (1-24 letters, digits, _ or -)')
    .option('--reconnect', 'if the connection is lost, reconnect and rejoin with the same nick and room')
    .addHelpText(
      'after',
      `
Type a line to talk to your room; /help lists the commands (/nick, /join, /part, /msg, /me,
/who, /rooms, /quit). Lines from others appear above the one you are typing; control
characters are shown as ^[ or <U+202E>, never sent raw to your terminal. Ctrl-D quits.
With stdin not a terminal it sends each line and prints what arrives, then exits.

Examples:
  switchboard chat tcp://127.0.0.1:8089 --nick alice
  switchboard chat unix:///tmp/chat.sock --reconnect
  printf '/join dev\\nhello devs\\n' | switchboard chat tcp://127.0.0.1:8089`,
    )
    .action(async (url: string, flags: ChatFlags) => {
      const client = await connect(url, { framing: 'line', reconnect: flags.reconnect === true }).catch(fail);
      const state: ChatState = { nick: flags.nick, room: undefined };
      if (process.stdin.isTTY === true) interactive(client, state);
      else plain(client, state);
    });
}
