// Redis's CPU per line for the publish script (src/backplane/redis-scripts.ts), by batch size.
//   npm run build && node bench/redis-script-cost.js [--calls 2000] [--subscribers 2]
// Starts its own redis-server on a free port (pinned to core 0, as bench/run.js pins servers),
// runs PUBLISH_LINES with batches of 1 to 500 lines of a typical chat line
// (~90 bytes on the wire) to a room with `--subscribers` nodes listening, and reads redis-server's
// CPU time from /proc before and after: µs of Redis CPU per line, what one numbered, kept and
// published line costs Redis. docs/benchmarks.md ("Two nodes on one Redis") has the figures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { PUBLISH_LINES } from '../dist/backplane/redis-scripts.js';
import { encodeWireLine } from '../dist/backplane/redis-wire.js';
import { cpuSeconds, has, startRedisServer, stopServer } from './lib.js';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, subscribers: { type: 'string', default: '2' } },
});
const CALLS = Number(args.calls);
const SUBSCRIBERS = Number(args.subscribers);
const BATCHES = [1, 10, 43, 100, 500];
const HISTORY = 300;

if (!has('redis-server')) {
  console.error('redis-server not found: install it (apt-get install redis-server)');
  process.exit(1);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const server = await startRedisServer(root, mkdtempSync(join(tmpdir(), 'switchboard-bench-')));
const port = server.port;

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
    const before = cpuSeconds(server.pid);
    for (let i = 0; i < CALLS; i += 4) await Promise.all([call(), call(), call(), call()]);
    const used = (cpuSeconds(server.pid) - before) * 1000;
    console.log(
      `  ${String(n).padStart(3)} lines a call: ${((used * 1000) / (CALLS * n)).toFixed(2)} µs of Redis CPU per line`,
    );
  }
  await Promise.all([cmd, ...subs].map((c) => c.quit()));
} finally {
  await stopServer(server);
}
