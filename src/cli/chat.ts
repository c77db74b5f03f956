import { clearScreenDown, createInterface, cursorTo, moveCursor } from 'node:readline';
import { Command } from 'commander';
import { connect, type Client } from '../client/client.js';
import { ChatSession } from '../client/chat-client.js';
import { printable } from '../client/printable.js';
import { InvalidOptionError, UnsupportedError } from '../errors.js';
import { nickRefusal } from '../hub/nick.js';
import { parseLine } from '../hub/protocol.js';
import { parseEndpoint } from '../transports/endpoint.js';
import { transportFor } from '../transports/registry.js';
import { ExitCode, fail } from './exit-codes.js';
import { addTlsClientFlags, tlsClientOptions, type TlsClientFlags } from './tls-flags.js';

interface ChatFlags extends TlsClientFlags {
  nick?: string;
  reconnect?: boolean;
}

function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

const isQuit = (line: string): boolean => /^\/quit(\s|$)/i.test(line);

/**
 * On a terminal, what a line is shows in how it looks (issue 13): server notices dim, actions in
 * italics as `* alice waves`, private messages bold — so an action can never pass for a notice.
 */
function styled(line: string): string {
  const parsed = parseLine(line);
  const safe = printable(line);
  switch (parsed.kind) {
    case 'notice':
      return `\x1b[2m${safe}\x1b[22m`;
    case 'line':
      if (!parsed.action) return safe;
      return `${parsed.history ? '[history] ' : ''}\x1b[3m* ${printable(parsed.nick)} ${printable(parsed.text)}\x1b[23m`;
    case 'private':
    case 'private-echo':
      return `\x1b[1m${safe}\x1b[22m`;
    default:
      return safe;
  }
}

function interactive(client: Client, nick: string | undefined, resume: boolean): void {
  let quitting = false;
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  const show = (text: string): void => {
    // Print above the line being typed, then redraw the prompt and what was typed so far. The
    // typed line may wrap over several rows: go back to the row where the prompt starts first.
    moveCursor(process.stdout, 0, -rl.getCursorPos().rows);
    cursorTo(process.stdout, 0);
    clearScreenDown(process.stdout);
    process.stdout.write(`${text}\n`);
    rl.prompt(true);
  };
  const chat = new ChatSession(client, { nick, resume, onNotice: show, show: (line) => show(styled(line)) });
  client.on('message', (m) => chat.receive(m.toString('utf8')));
  client.on('disconnect', () => show(`* connection to ${client.url} lost`));
  client.on('reconnecting', ({ attempt, delayMs, url }) =>
    show(`* reconnecting to ${url} in ${delayMs} ms (attempt ${attempt})`),
  );
  client.on('reconnect', () => show(`* reconnected to ${client.url}`));
  client.on('close', (err) => {
    const asked = quitting;
    quitting = true; // nothing more to send: closing readline below must not send /quit
    rl.close();
    if (asked && err === undefined) return exit(ExitCode.OK);
    process.stderr.write(`\nswitchboard: ${err?.message ?? `${client.url} closed the connection`}\n`);
    exit(ExitCode.FAILURE);
  });
  rl.on('line', (line) => {
    if (line.trim() === '') return rl.prompt();
    if (isQuit(line)) quitting = true;
    try {
      chat.send(line);
    } catch (err) {
      show(`* not sent: ${(err as Error).message}`);
    }
    rl.prompt();
  });
  rl.on('close', () => {
    // Ctrl-D: leave the way /quit does.
    if (quitting) return;
    quitting = true;
    chat.send('/quit');
  });
  rl.prompt();
}

/**
 * stdin not a terminal: send each line, print each line, exit when both sides are done. With
 * --reconnect, stdout also marks each reconnect (`* reconnected to URL`), so a transcript shows where
 * the recovery that follows begins; the loss itself is told on stderr.
 */
function plain(client: Client, nick: string | undefined, resume: boolean): void {
  let inputDone = false;
  let quitting = false;
  const chat = new ChatSession(client, {
    nick,
    resume,
    // The client's own notices go to stderr, as its errors do: `switchboard: nick … is still held`.
    onNotice: (text) => process.stderr.write(`switchboard: ${text.replace(/^\* /, '')}\n`),
    show: (line) => process.stdout.write(`${printable(line)}\n`),
  });
  client.on('message', (m) => chat.receive(m.toString('utf8')));
  client.on('disconnect', (err) =>
    process.stderr.write(
      `switchboard: connection to ${client.url} lost${err === undefined ? '' : ` (${err.message})`}; reconnecting\n`,
    ),
  );
  client.on('reconnect', () => process.stdout.write(`* reconnected to ${client.url}\n`));
  client.on('close', (err) => {
    // Done when our input is, or when we said /quit and the server closed as asked.
    if (err !== undefined || !(inputDone || quitting)) {
      process.stderr.write(`switchboard: ${err?.message ?? `${client.url} closed the connection`}\n`);
      return exit(ExitCode.FAILURE);
    }
    exit(ExitCode.OK);
  });
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '' || quitting) return;
    if (isQuit(line)) quitting = true;
    chat.send(line);
  });
  rl.on('close', () => {
    inputDone = true;
    // Lines held for the greeting go out first; then the half-close, as `nc -N` does.
    void chat.flushed().then(() => client.end().catch(() => undefined));
  });
}

/** The chat hub needs connections (DESIGN §6): a udp:// URL is bad usage, not a silent hang. */
function checkUrl(url: string): void {
  const endpoint = parseEndpoint(url);
  if (transportFor(endpoint.transport).kind === 'datagram') {
    fail(
      new UnsupportedError(
        `chat needs a connection; ${url} is ${endpoint.transport}: use tcp:// or unix:// (or tls://, ws://)`,
      ),
    );
  }
}

/** DESIGN §5: a bad --nick is bad usage (exit 2), found before connecting. */
function checkNick(nick: string | undefined): void {
  if (nick === undefined) return;
  const refusal = nickRefusal(nick);
  if (refusal !== undefined) fail(new InvalidOptionError(`--nick '${nick}' is ${refusal}; choose another`));
}

export function chatCommand(): Command {
  return addTlsClientFlags(new Command('chat'))
    .description('chat client: talk in a switchboard chat hub')
    .argument(
      '<url...>',
      'the chat listener, e.g. tcp://127.0.0.1:8089; more URLs (other nodes of the hub) are tried in turn',
    )
    .option('--nick <name>', 'the nick to take once connected (1-24 letters, digits, _ or -)')
    .option(
      '--reconnect',
      'if the connection is lost, reconnect (to the next URL), take the nick again and resume the room: every line once, in order',
    )
    .addHelpText(
      'after',
      `
Type a line to talk to your room; /help lists the commands (/nick, /join, /part, /msg, /me,
/who, /rooms, /quit). Lines from others appear above the one you are typing; control
characters are shown as ^[ or <U+202E>, never sent raw to your terminal. Ctrl-D quits.
With stdin not a terminal it sends each line and prints what arrives, then exits.

With --reconnect a lost connection is retried with backoff, going round the URLs given; once
back, the client takes its nick again and resumes its room from the last line it showed: the
lines missed come once each, in order, or the server's notice names the gap it cannot fill
(docs/chat.md, "Resume").

Examples:
  switchboard chat tcp://127.0.0.1:8089 --nick alice
  switchboard chat unix:///tmp/chat.sock --reconnect
  switchboard chat tcp://10.0.0.1:8089 tcp://10.0.0.2:8089 --reconnect
  switchboard chat ws://127.0.0.1:8090/chat
  switchboard chat tls://chat.example.org:6697 --nick alice
  printf '/join dev\\nhello devs\\n' | switchboard chat tcp://127.0.0.1:8089`,
    )
    .action(async (urls: string[], flags: ChatFlags) => {
      for (const url of urls) checkUrl(url);
      checkNick(flags.nick);
      const [url, ...alternates] = urls as [string, ...string[]];
      let tls: ReturnType<typeof tlsClientOptions> = {};
      for (const u of urls) tls = tlsClientOptions(u, flags);
      const client = await connect(url, {
        framing: 'line',
        reconnect: flags.reconnect === true,
        alternates,
        ...tls,
      }).catch(fail);
      const resume = flags.reconnect === true;
      if (process.stdin.isTTY === true) interactive(client, flags.nick, resume);
      else plain(client, flags.nick, resume);
    });
}
