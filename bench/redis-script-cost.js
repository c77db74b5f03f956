// Redis's CPU per line for the publish script (src/backplane/redis-scripts.ts), by batch size.
//   npm run build && node bench/redis-script-cost.js [--calls 2000] [--subscribers 2]
// Starts its own redis-server on a free port (pinned to core 0 when there are two cores; this
// process on core 1), runs PUBLISH_LINES with batches of 1 to 500 lines of a typical chat line
// (~90 bytes on the wire) to a room with `--subscribers` nodes listening, and reads redis-server's
// CPU time from /proc before and after: µs of Redis CPU per line, what one numbered, kept and
// published line costs Redis. docs/benchmarks.md ("Two nodes on one Redis") has the figures.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { PUBLISH_LINES } from '../dist/backplane/redis-scripts.js';
import { encodeWireLine } from '../dist/backplane/redis-wire.js';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, subscribers: { type: 'string', default: '2' } },
});
const CALLS = Number(args.calls);
const SUBSCRIBERS = Number(args.subscribers);
const BATCHES = [1, 10, 43, 100, 500];
const HISTORY = 300;

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return port;
}

const pinned = cpus().length >= 2;
const port = await freePort();
const argv = [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  tmpdir(),
];
const server = pinned
  ? spawn('taskset', ['-c', '0', 'redis-server', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
server.on('error', (err) => {
  console.error(`redis-server: ${err.message} (apt-get install redis-server)`);
  process.exit(1);
});
await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    if (out.includes('Ready to accept connections')) resolve();
  });
});
/** redis-server's CPU time in ms (utime + stime, clock ticks of 10 ms). */
const cpuMs = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

try {
  const cmd = new Redis(port);
  const subs = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const sub = new Redis(port);
    await sub.subscribe('bench:lines');
    sub.on('message', () => undefined);
    subs.push(sub);
  }
  const sha = await cmd.script('LOAD', PUBLISH_LINES);
  const wire = encodeWireLine({
    kind: 'say',
    nick: 'bench',
    text: `#run12345# ${'x'.repeat(53)}`,
    node: 'host:4242:a1b2c3',
    member: 17,
  });
  console.log(
    `Redis ${(await cmd.info('server')).match(/redis_version:(\S+)/)[1]}, ${SUBSCRIBERS} subscriber(s), ` +
      `history ${HISTORY}, a ${wire.length}-byte wire line, ${CALLS} calls per batch size`,
  );
  for (const n of BATCHES) {
    const room = `bench:{r${n}}`;
    const call = () =>
      cmd.evalsha(
        sha,
        2,
        `${room}:meta`,
        `${room}:log`,
        'bench:lines',
        HISTORY,
        'E1',
        Date.now() + 60_000,
        ...Array(n).fill(wire),
      );
    for (let i = 0; i < 200; i++) await call(); // warm up, and fill the stream past its trim
    const before = cpuMs();
    for (let i = 0; i < CALLS; i += 4) await Promise.all([call(), call(), call(), call()]);
    const used = cpuMs() - before;
    console.log(
      `  ${String(n).padStart(3)} lines a call: ${((used * 1000) / (CALLS * n)).toFixed(2)} µs of Redis CPU per line`,
    );
  }
  await Promise.all([cmd, ...subs].map((c) => c.quit()));
} finally {
  server.kill();
}
