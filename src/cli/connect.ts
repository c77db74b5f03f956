import { createInterface, type Interface } from 'node:readline';
import { Command, Option } from 'commander';
import { connect, type Client } from '../client/client.js';
import { FRAMING_NAMES, type FramingName } from '../framing/codec.js';
import { LineDecoder } from '../framing/line.js';
import { ExitCode, fail } from './exit-codes.js';
import { wholeNumber } from './options.js';
import { addTlsClientFlags, tlsClientOptions, type TlsClientFlags } from './tls-flags.js';

interface ConnectFlags extends TlsClientFlags {
  framing?: FramingName;
  reconnect?: boolean;
  connectTimeout: number;
  wait: number;
}

/** Longest line read from a pipe as one message in framed modes. */
const MAX_INPUT_LINE = 16 * 1024 * 1024;
const QUIT_WORDS = new Set(['q', 'quit']);

function exit(code: number): void {
  // Let stdout drain first: piping to a file or `head` must not lose the last replies.
  process.stdout.write('', () => process.exit(code));
}

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The bytes to send for one typed line: raw streams get the newline `nc` would send. */
function payloadFor(client: Client, line: string): Buffer {
  return Buffer.from(client.framing === 'raw' ? `${line}\n` : line, 'utf8');
}

/** Framed replies and datagrams are whole messages: one per line on the terminal. */
function rendered(client: Client, message: Buffer): Buffer {
  return client.framing === 'raw' ? message : Buffer.concat([message, Buffer.from('\n')]);
}

function reportConnectionEvents(client: Client, quitting: () => boolean, onGone: () => void): void {
  client.on('disconnect', (err) =>
    say(`* connection to ${client.url} lost${err ? ` (${err.message})` : ''}`),
  );
  client.on('reconnecting', ({ attempt, delayMs }) =>
    say(`* reconnecting in ${delayMs} ms (attempt ${attempt})`),
  );
  client.on('reconnect', () => say(`* reconnected to ${client.url}`));
  client.on('close', (err) => {
    if (quitting()) return;
    say(
      err === undefined ? `switchboard: ${client.url} closed the connection` : `switchboard: ${err.message}`,
    );
    onGone();
  });
}

/** A person at a terminal: prompt, one message per line, replies printed above the prompt. */
function interactive(client: Client): void {
  let quitting = false;
  const rl: Interface = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  say(`connected to ${client.url} (${client.framing}); type a message and press Enter, q or Ctrl-D to quit`);
  const printAbovePrompt = (text: Buffer): void => {
    process.stdout.write('\r\x1b[K');
    process.stdout.write(text);
    if (text.length > 0 && text[text.length - 1] !== 0x0a) process.stdout.write('\n');
    rl.prompt(true);
  };
  client.on('message', (m) => printAbovePrompt(rendered(client, m)));
  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    rl.close();
    client.close().then(() => exit(ExitCode.OK), fail);
  };
  rl.on('line', (line) => {
    if (QUIT_WORDS.has(line.trim())) return quit();
    if (line === '') {
      // DESIGN §5: an empty message is never sent (in the tutorials it hangs both sides).
      say('* empty message not sent; type some text, or q to quit');
    } else {
      try {
        client.send(payloadFor(client, line));
      } catch (err) {
        say(`* not sent: ${(err as Error).message}`);
      }
    }
    rl.prompt();
  });
  rl.on('close', quit); // Ctrl-D
  reportConnectionEvents(
    client,
    () => quitting,
    () => {
      quitting = true;
      rl.close();
      exit(ExitCode.FAILURE);
    },
  );
  rl.prompt();
}

/** Like `nc`: send stdin, print replies, exit when both sides are done. */
function piped(client: Client, waitMs: number): void {
  let inputDone = false;
  let sent = 0;
  let received = 0;
  let finishing = false;
  client.on('message', (m) => {
    received++;
    process.stdout.write(rendered(client, m));
    if (inputDone && client.framing === 'datagram' && received >= sent) finishDatagrams();
  });
  const finishDatagrams = (): void => {
    if (finishing) return;
    finishing = true;
    const missing = sent - received;
    if (missing > 0) say(`switchboard: ${missing} of ${sent} datagrams got no reply within ${waitMs} ms`);
    client.close().then(() => exit(missing > 0 ? ExitCode.FAILURE : ExitCode.OK), fail);
  };
  reportConnectionEvents(
    client,
    () => finishing || (inputDone && client.framing !== 'datagram'),
    () => exit(ExitCode.FAILURE),
  );
  client.on('close', (err) => {
    if (finishing) return;
    if (inputDone || err === undefined) exit(err === undefined ? ExitCode.OK : ExitCode.FAILURE);
  });

  const lines = client.framing === 'raw' ? undefined : new LineDecoder(MAX_INPUT_LINE);
  const sendAll = (messages: Buffer[]): void => {
    for (const m of messages) {
      sent++;
      if (!client.send(m)) {
        process.stdin.pause();
        client.once('drain', () => process.stdin.resume());
      }
    }
  };
  process.stdin.on('data', (chunk: Buffer) => {
    try {
      sendAll(lines === undefined ? [chunk] : lines.push(chunk));
    } catch (err) {
      fail(err);
    }
  });
  process.stdin.on('end', () => {
    if (lines !== undefined) sendAll(lines.end());
    inputDone = true;
    if (client.framing === 'datagram') {
      if (received >= sent) finishDatagrams();
      else setTimeout(finishDatagrams, waitMs);
      return;
    }
    client.end().then(
      () => undefined,
      () => undefined,
    );
  });
}

export function connectCommand(): Command {
  return addTlsClientFlags(new Command('connect'))
    .description('interactive client: send what you type, print the replies (like nc when stdin is a pipe)')
    .argument(
      '<url>',
      'tcp://HOST:PORT, udp://HOST:PORT, unix:///PATH, tls://HOST:PORT, ws://HOST:PORT/PATH, wss://…, or HOST:PORT for tcp',
    )
    .addOption(
      new Option('--framing <name>', 'how messages are delimited on a stream').choices(FRAMING_NAMES),
    )
    .option('--reconnect', 'if the connection is lost, reconnect with backoff instead of exiting')
    .option('--connect-timeout <ms>', 'give up connecting after this long', wholeNumber(1), 10_000)
    .option(
      '--wait <ms>',
      'udp with piped input: how long to wait for replies after the last line',
      wholeNumber(0),
      2_000,
    )
    .addHelpText(
      'after',
      `
At the prompt: each line is one message (in raw framing it is sent with its newline, as nc does);
an empty line is not sent; q, quit or Ctrl-D quits. With stdin not a terminal it acts like nc:
it sends stdin (one message per line in framed modes), prints replies, and exits when both
sides are done. Exit status: 0 done, 1 connection failure or lost, 2 bad usage.

Examples:
  switchboard connect tcp://127.0.0.1:8088
  switchboard connect 'tcp://127.0.0.1:9000?framing=len32be'
  switchboard connect udp://127.0.0.1:8088
  printf 'hello\\nworld\\n' | switchboard connect tcp://127.0.0.1:8088
  switchboard connect unix:///tmp/sb.sock --reconnect
  switchboard connect tls://127.0.0.1:8443 --ca ca.pem
  switchboard connect ws://127.0.0.1:8090/`,
    )
    .action(async (url: string, flags: ConnectFlags) => {
      const client = await connect(url, {
        ...(flags.framing !== undefined && { framing: flags.framing }),
        reconnect: flags.reconnect === true,
        connectTimeoutMs: flags.connectTimeout,
        ...tlsClientOptions(url, flags),
      }).catch(fail);
      if (process.stdin.isTTY === true) interactive(client);
      else piped(client, flags.wait);
    });
}
