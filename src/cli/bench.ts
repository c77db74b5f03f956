import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { runBench, formatJson, formatResult, type BenchOptions } from '../bench/index.js';
import { BENCH_MODES, EXPECT_KINDS, FANOUT_ADAPTERS } from '../bench/options.js';
import { FRAMING_NAMES } from '../framing/codec.js';
import { ExitCode, fail } from './exit-codes.js';
import { wholeNumber } from './options.js';

interface BenchFlags {
  connections?: number;
  pipeline?: number;
  size?: number;
  duration?: number;
  messages?: number;
  framing?: (typeof FRAMING_NAMES)[number];
  expect?: (typeof EXPECT_KINDS)[number];
  mode?: (typeof BENCH_MODES)[number];
  subscribers?: number;
  adapter?: (typeof FANOUT_ADAPTERS)[number];
  seed?: number;
  timeout?: number;
  json?: boolean;
  progress?: boolean;
  serverPid?: number[] | 'auto' | 'off';
  backplanePid?: number[];
}

/** `PID[,PID…]`; a repeated flag adds to the list. */
function pidList(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), ...value.split(',').map((p) => wholeNumber(1)(p.trim()))];
}

/** `--server-pid`: PIDs (comma-separated or the flag repeated), `auto` or `off`. */
function serverPid(
  value: string,
  previous: number[] | 'auto' | 'off' | undefined,
): number[] | 'auto' | 'off' {
  if (value === 'auto' || value === 'off') {
    if (Array.isArray(previous)) throw new InvalidArgumentError(`'${value}' cannot follow PIDs`);
    return value;
  }
  if (previous === 'auto' || previous === 'off') {
    throw new InvalidArgumentError(`PIDs cannot follow '${previous}'`);
  }
  return pidList(value, previous);
}

/** `10s`, `500ms`, `2m` or a bare number of seconds, as milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (m === null)
    throw new InvalidArgumentError(`expected a duration such as 10s, 500ms or 2m, got '${value}'`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  const ms = Math.round(Number(m[1]) * scale);
  if (ms < 1) throw new InvalidArgumentError(`expected a duration of at least 1ms, got '${value}'`);
  return ms;
}

const EXAMPLES = `
Several URLs are several nodes of one service (switchboard processes on one --backplane, Socket.IO
nodes on one Redis): connections (request-reply) or members (fanout) go round-robin over them, the
first to the first URL, and the fanout sender is on the first URL. Every URL must use the same
transport and framing. The run starts once every member on every node has heard the sender.

Every reply is checked byte for byte (--expect upper: what the upper service sends). Exit code 0
when every reply was right, 1 on any wrong, missing or unexpected reply or failed connection,
2 on bad usage (a --server-pid that is no running process included).

The server's CPU time per message is read from /proc (Linux) for the processes given by
--server-pid or found listening on each URL's port or socket path, summed over the nodes (each
one's share is listed); --backplane-pid measures a redis-server over the same interval, on a line
of its own. When the generator is at 90 % or more of its core, its own ceiling sets the
throughput: compare servers by CPU per message then.

Examples:
  switchboard bench tcp://127.0.0.1:8088
  switchboard bench 'tcp://127.0.0.1:9000?framing=len32be' --connections 100 --pipeline 16 --duration 10s
  switchboard bench tcp://127.0.0.1:9000 --framing line --expect echo --messages 100000 --json
  switchboard bench 'tcp://127.0.0.1:8089?flood=0' --mode fanout --subscribers 100 --duration 5s
  switchboard bench tcp://127.0.0.1:4222 --mode fanout --adapter nats --subscribers 100 --pipeline 1
  switchboard bench ws://127.0.0.1:8090/chat --mode fanout --subscribers 1000 --pipeline 100
  switchboard bench ws://127.0.0.1:3000/socket.io/ --mode fanout --adapter socketio --subscribers 1000
  switchboard bench tcp://127.0.0.1:8089 tcp://127.0.0.1:9089 --mode fanout --subscribers 200 \\
      --pipeline 1000 --backplane-pid "$(pgrep -n redis-server)"     # two nodes on one Redis: 100 + 100 members`;

export function benchCommand(): Command {
  return new Command('bench')
    .description('load-test a server: messages/s, MB/s and latency percentiles, every reply verified')
    .argument(
      '<url...>',
      'the server: tcp://HOST:PORT, unix:///PATH or ws://HOST:PORT/PATH, ?framing=NAME optional; several: nodes of one service (see below)',
    )
    .option('-c, --connections <n>', 'connections opened at once (default 1)', wholeNumber(1))
    .option(
      '-p, --pipeline <n>',
      'requests in flight per connection (default 1); fanout: messages in flight, 0 = flat out (default 0)',
      wholeNumber(0),
    )
    .option('-s, --size <bytes>', 'payload size (default 64)', wholeNumber(0))
    .option('-d, --duration <time>', 'how long to send, e.g. 10s, 500ms (default 10s)', parseDuration)
    .option(
      '-n, --messages <n>',
      'stop after this many messages in all, instead of --duration',
      wholeNumber(1),
    )
    .addOption(
      new Option('-f, --framing <name>', 'message framing (default: the URL ?framing=, else raw)').choices(
        FRAMING_NAMES,
      ),
    )
    .addOption(
      new Option('--expect <kind>', 'how replies are checked').choices(EXPECT_KINDS).default('upper'),
    )
    .addOption(
      new Option('--mode <mode>', 'request-reply, or fanout through a chat hub').choices(BENCH_MODES),
    )
    .option('--subscribers <n>', 'fanout: members in the room (default 10)', wholeNumber(1))
    .addOption(
      new Option('--adapter <hub>', 'fanout: the kind of hub at URL (default switchboard)').choices(
        FANOUT_ADAPTERS,
      ),
    )
    .option('--seed <n>', 'seed of the deterministic payloads (default 1)', wholeNumber(0))
    .option(
      '--timeout <ms>',
      'wait this long for outstanding replies before counting them missing (default 5000)',
      wholeNumber(0),
    )
    .option(
      '--server-pid <pid>',
      "the server processes whose CPU per message is reported: PIDs (comma-separated or the flag repeated; summed), 'auto' (default: the process listening on each URL, this machine only) or 'off'",
      serverPid,
    )
    .option(
      '--backplane-pid <pid>',
      'processes the server depends on (a redis-server), measured over the same interval and reported apart: PIDs, comma-separated or the flag repeated',
      pidList,
    )
    .option('--json', 'print the results as JSON on stdout')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addHelpText('after', EXAMPLES)
    .action(async (urls: string[], flags: BenchFlags) => {
      const showBar = flags.progress !== false && flags.json !== true && process.stderr.isTTY === true;
      const bar = showBar
        ? new SingleBar({
            format: 'bench [{bar}] {percentage}% | {done} replies',
            hideCursor: true,
            stream: process.stderr,
          })
        : undefined;
      bar?.start(100, 0, { done: 0 });
      const options: BenchOptions = {
        url: urls.length === 1 ? urls[0]! : urls,
        expect: flags.expect ?? 'upper',
        ...(flags.connections !== undefined && { connections: flags.connections }),
        ...(flags.pipeline !== undefined && { pipeline: flags.pipeline }),
        ...(flags.size !== undefined && { size: flags.size }),
        ...(flags.duration !== undefined && { durationMs: flags.duration }),
        ...(flags.messages !== undefined && { messages: flags.messages }),
        ...(flags.framing !== undefined && { framing: flags.framing }),
        ...(flags.mode !== undefined && { mode: flags.mode }),
        ...(flags.subscribers !== undefined && { subscribers: flags.subscribers }),
        ...(flags.adapter !== undefined && { adapter: flags.adapter }),
        ...(flags.seed !== undefined && { seed: flags.seed }),
        ...(flags.timeout !== undefined && { drainTimeoutMs: flags.timeout }),
        ...(flags.serverPid !== undefined && { serverPid: flags.serverPid }),
        ...(flags.backplanePid !== undefined && { backplanePid: flags.backplanePid }),
        ...(bar !== undefined && {
          onProgress: (fraction: number, done: number) => bar.update(Math.floor(fraction * 100), { done }),
        }),
      };
      const result = await runBench(options).catch((err: unknown) => {
        bar?.stop();
        return fail(err);
      });
      bar?.stop();
      process.stdout.write(flags.json === true ? formatJson(result) : formatResult(result));
      if (!result.ok) {
        const e = result.errors;
        process.stderr.write(
          `switchboard: bench found ${e.wrong} wrong, ${e.missing} missing, ${e.unexpected} unexpected ` +
            `repl${e.wrong + e.missing + e.unexpected === 1 ? 'y' : 'ies'}` +
            `${e.gaps + e.repeats > 0 ? `, ${e.gaps} skipped and ${e.repeats} repeated deliveries` : ''}` +
            ` and ${e.connections} connection failure(s); first: ${e.samples[0] ?? 'see above'}\n`,
        );
        process.exitCode = ExitCode.FAILURE;
      }
    });
}
