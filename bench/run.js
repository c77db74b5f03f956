#!/usr/bin/env node
// `npm run bench`: switchboard against its peers, side by side, in one run, with one load generator
// (`switchboard bench`). Medians of 3 runs (interleaved, so drift hits every server alike), ratios
// to the peers, the machine described. Writes bench/results/results.json, the tables in
// docs/benchmarks.md and docs/benchmarks.svg.
//
//   npm run bench                   the full run (about 10 minutes)
//   npm run bench -- --quick        one short run of everything, for iteration; touches no docs
//   npm run bench -- --only fanout  only scenarios whose id contains "fanout"
//   npm run bench -- --only scale   two nodes on one Redis against one node and Socket.IO (issue 10)
//   npm run bench -- --runs 5 --duration 10s
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import {
  CORES,
  FD_LIMIT,
  LOAD_CORE,
  SERVER_CORE,
  cpuSeconds,
  describeMachine,
  freePort,
  has,
  median,
  rssKiB,
  version,
  runLoad,
  sleep,
  startRedisServer,
  startServer,
  stopServer,
} from './lib.js';
import { renderTables, evaluateTargets } from './targets.js';
import { WebSocket } from 'ws';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// 1,000 connections per run and 10,000 idle members need more descriptors than the usual 1024:
// run again under `ulimit -n` raised as far as the hard limit allows (its children inherit it).
if (process.env.SWITCHBOARD_BENCH_ULIMIT === undefined) {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; echo "descriptors: $(ulimit -n)" >&2; exec "$@"`;
  const child = spawnSync(
    'sh',
    ['-c', script, 'sh', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, SWITCHBOARD_BENCH_ULIMIT: '1' },
    },
  );
  process.exit(child.status ?? 1);
}
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
  },
});
const QUICK = args.quick;
const RUNS = Number(args.runs ?? (QUICK ? 1 : 3));
const DURATION = args.duration ?? (QUICK ? '1s' : '5s');
const IDLE_MEMBERS = QUICK ? 1000 : 10_000;

function range(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length === 0 ? null : [Math.min(...v), Math.max(...v)];
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

// --- tools ----------------------------------------------------------------------------------------

function ensureTools() {
  // Each command is its Debian package's name.
  const missing = ['ncat', 'nats-server', 'redis-server'].filter((t) => !has(t));
  if (missing.length > 0 && process.getuid?.() === 0 && has('apt-get')) {
    log(`installing ${missing.join(' ')} with apt-get (Debian packages of the same names)`);
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit' });
    } catch {
      log('apt-get failed; those peers are skipped');
    }
  }
  for (const t of ['ncat', 'nats-server', 'redis-server', 'python3', 'taskset']) {
    if (!has(t))
      log(
        `note: ${t} not found; install it (apt-get install ${t === 'taskset' ? 'util-linux' : t}) to measure everything`,
      );
  }
  log('building (tsc -p tsconfig.build.json)');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

// --- servers --------------------------------------------------------------------------------------

const SB = ['node', 'dist/cli/main.js', 'serve', '--log-level', 'warn', '--max-connections', '60000'];

/** Request/reply servers: how to start each in a framing, and what its replies are. */
const RR_SERVERS = {
  switchboard: {
    label: 'switchboard upper',
    expect: 'upper',
    argv: (f) => [...SB, `upper@tcp://127.0.0.1:0?framing=${f}`],
  },
  'pipe-echo': {
    label: 'naive Node socket.pipe echo',
    expect: 'echo',
    argv: () => ['node', 'bench/servers/naive-pipe-echo.js'],
  },
  'naive-upper': {
    label: 'naive Node upper',
    expect: 'upper',
    argv: (f) => ['node', 'bench/servers/naive-upper.js', f],
  },
  asyncio: {
    label: 'Python asyncio upper',
    expect: 'upper',
    tool: 'python3',
    argv: (f) => ['python3', 'bench/servers/asyncio_upper.py', f],
  },
  threading: {
    label: 'Python ThreadingTCPServer upper',
    expect: 'upper',
    tool: 'python3',
    argv: (f) => ['python3', 'bench/servers/threading_upper.py', f],
  },
};

/** Fan-out hubs, each with the adapter the load generator speaks to it. */
const HUBS = {
  switchboard: {
    label: 'switchboard chat',
    adapter: 'switchboard',
    argv: () => [...SB, 'chat@tcp://127.0.0.1:0?flood=0'],
  },
  'line-relay': {
    label: 'naive Node line relay',
    adapter: 'line',
    argv: () => ['node', 'bench/servers/naive-line-relay.js'],
  },
  ncat: {
    label: 'ncat --chat',
    adapter: 'ncat',
    tool: 'ncat',
    fixedPort: true,
    argv: (p) => ['ncat', '-l', '--chat', '--max-conns', '60000', '127.0.0.1', String(p)],
  },
  nats: {
    label: 'nats-server',
    adapter: 'nats',
    tool: 'nats-server',
    fixedPort: true,
    argv: (p) => ['nats-server', '-a', '127.0.0.1', '-p', String(p)],
  },
};

// nats-server's WebSocket listener needs a config file (`websocket { no_tls: true }` has no flag).
const TMP = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

async function natsWebSocketConfig(wsPort) {
  const file = join(TMP, `nats-ws-${wsPort}.conf`);
  const tcpPort = await freePort();
  writeFileSync(
    file,
    `listen: "127.0.0.1:${tcpPort}"\nwebsocket {\n  listen: "127.0.0.1:${wsPort}"\n  no_tls: true\n}\n`,
  );
  return file;
}

/**
 * WebSocket fan-out hubs (issue 9): the generator's members and sender are raw `ws` clients
 * (permessage-deflate off) speaking each hub's dialect; `path` is where the hub upgrades.
 */
const WS_HUBS = {
  switchboard: {
    label: 'switchboard chat (ws)',
    adapter: 'switchboard',
    path: '/chat',
    argv: async () => [...SB, 'chat@ws://127.0.0.1:0/chat?flood=0'],
  },
  socketio: {
    label: 'Socket.IO 4 io.to(room).emit',
    adapter: 'socketio',
    path: '/socket.io/',
    argv: async () => ['node', 'bench/servers/socketio-chat.js'],
  },
  nats: {
    label: 'nats-server websocket',
    adapter: 'nats',
    tool: 'nats-server',
    fixedPort: true,
    path: '/',
    argv: async (p) => ['nats-server', '-c', await natsWebSocketConfig(p)],
  },
};

const ALL_RR = Object.keys(RR_SERVERS);
const ALL_HUBS = Object.keys(HUBS);

const SCENARIOS = [
  {
    id: 'rr-len32be-100x16',
    title: 'upper, len32be, 100 connections × 16 in flight',
    kind: 'rr',
    framing: 'len32be',
    connections: 100,
    pipeline: 16,
    servers: ALL_RR,
  },
  {
    id: 'rr-len32be-1000x1',
    title: 'upper, len32be, 1,000 connections × 1 in flight',
    kind: 'rr',
    framing: 'len32be',
    connections: 1000,
    pipeline: 1,
    servers: ALL_RR,
  },
  {
    id: 'rr-raw-100x16',
    title: 'upper, raw, 100 connections × 16 in flight',
    kind: 'rr',
    framing: 'raw',
    connections: 100,
    pipeline: 16,
    servers: ALL_RR,
  },
  // "same core": server and load generator share one core, so no cross-core wake-up is measured.
  {
    id: 'latency-len32be-1x1',
    title: 'latency: len32be, 1 connection × 1 in flight, same core',
    kind: 'rr',
    framing: 'len32be',
    connections: 1,
    pipeline: 1,
    sameCore: true,
    servers: ALL_RR,
  },
  {
    // Flat out within a window: the sender keeps 1,000 messages not yet delivered to every member.
    // One process reads all 100 members, so an unwindowed sender outruns its own readers; the
    // window keeps each member's queue under ~70 KB and measures what the hub can deliver.
    id: 'fanout-100-window',
    title: 'chat fan-out: 1 sender → 100 members, flat out in a 1,000-message window',
    kind: 'fanout',
    subscribers: 100,
    pipeline: 1000,
    servers: ALL_HUBS,
  },
  {
    id: 'fanout-100-flat',
    title: 'chat fan-out: 1 sender → 100 members, flat out with no window (queue bounds tested)',
    kind: 'fanout',
    subscribers: 100,
    pipeline: 0,
    servers: ALL_HUBS,
  },
  {
    id: 'fanout-100-1',
    title: 'chat fan-out: 1 sender → 100 members, 1 message in flight',
    kind: 'fanout',
    subscribers: 100,
    pipeline: 1,
    servers: ALL_HUBS,
  },
  {
    // Issue 9: 1,000 WebSocket members. A 100-message window keeps 100,000 deliveries in flight, as
    // the 1,000-message window does for 100 members: a member's queue stays small (~10 KB) and the
    // slowest hub still drains its window well within the drain timeout.
    id: 'ws-fanout-1000',
    title: 'WebSocket chat fan-out: 1 sender → 1,000 members, flat out in a 100-message window',
    kind: 'ws-fanout',
    subscribers: 1000,
    pipeline: 100,
    servers: Object.keys(WS_HUBS),
  },
];

function hubDef(scenario, name) {
  if (scenario.kind === 'rr') return RR_SERVERS[name];
  return scenario.kind === 'ws-fanout' ? WS_HUBS[name] : HUBS[name];
}

function available(def) {
  return def.tool === undefined || has(def.tool);
}

async function startFor(scenario, name) {
  if (scenario.kind === 'rr') {
    const def = RR_SERVERS[name];
    return startServer({
      argv: def.argv(scenario.framing),
      cwd: ROOT,
      core: scenario.sameCore ? LOAD_CORE : SERVER_CORE,
    });
  }
  const def = hubDef(scenario, name);
  const port = def.fixedPort ? await freePort() : undefined;
  return startServer({ argv: await def.argv(port), port, cwd: ROOT });
}

function targetUrl(scenario, name, port) {
  return scenario.kind === 'ws-fanout'
    ? `ws://127.0.0.1:${port}${WS_HUBS[name].path}`
    : `tcp://127.0.0.1:${port}`;
}

function loadFlags(scenario, name) {
  const common = ['--duration', DURATION, '--size', '64'];
  if (scenario.kind === 'rr') {
    return [
      ...common,
      '--framing',
      scenario.framing,
      '--expect',
      RR_SERVERS[name].expect,
      '--connections',
      String(scenario.connections),
      '--pipeline',
      String(scenario.pipeline),
    ];
  }
  return [
    ...common,
    '--mode',
    'fanout',
    '--adapter',
    hubDef(scenario, name).adapter,
    '--subscribers',
    String(scenario.subscribers),
    '--pipeline',
    String(scenario.pipeline),
  ];
}

async function runScenario(scenario, raw) {
  const names = scenario.servers.filter((n) => available(hubDef(scenario, n)));
  log(`\n== ${scenario.title}: ${names.join(', ')} × ${RUNS} run(s) of ${DURATION}`);
  const servers = {};
  for (const name of names) {
    try {
      servers[name] = await startFor(scenario, name);
    } catch (err) {
      log(`  ${name}: could not start: ${err.message}`);
    }
  }
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let r = 0; r < RUNS; r++) {
      for (const name of names) {
        const server = servers[name];
        if (server === undefined) continue;
        await sleep(300); // let the previous run's sockets close
        const cpuBefore = cpuSeconds(server.pid);
        const startedAt = performance.now();
        let outcome;
        try {
          // The server's pid is known here: no need for the bench to look it up from the port.
          const flags = [...loadFlags(scenario, name), '--server-pid', String(server.pid)];
          outcome = await runLoad(ROOT, targetUrl(scenario, name, server.port), flags, {
            core: scenario.sameCore ? LOAD_CORE : undefined,
          });
        } catch (err) {
          log(`  ${name} run ${r + 1}: ${err.message}`);
          continue;
        }
        const res = outcome.result;
        // The bench samples the server over exactly the measured interval; the coarse figure over
        // the child's whole life (start-up and connects included) is the fallback.
        const wallS = (performance.now() - startedAt) / 1000;
        const serverCpu =
          res.serverCpu?.percentOfOneCore ?? Math.round(((cpuSeconds(server.pid) - cpuBefore) / wallS) * 100);
        const usPerUnit = res.serverCpu?.[res.mode === 'fanout' ? 'usPerDelivery' : 'usPerMessage'] ?? NaN;
        const rate = res.mode === 'fanout' ? res.deliveriesPerSec : res.messagesPerSec;
        const errs = res.ok ? '' : `  ERRORS: ${res.errors.samples[0] ?? ''}`;
        log(
          `  ${name.padEnd(12)} run ${r + 1}: ${rate.toLocaleString('en-US').padStart(10)} /s  p50 ${res.latency.p50Us} µs  ` +
            `server cpu ${Math.round(serverCpu)} %, ${usPerUnit} µs/${res.mode === 'fanout' ? 'delivery' : 'msg'}  ` +
            `bench cpu ${res.cpu.percentOfOneCore} %${res.generatorSaturated ? ' (saturated)' : ''}  load ${os.loadavg()[0].toFixed(2)}` +
            `${res.serverCpuNote ? `  note: ${res.serverCpuNote}` : ''}${errs}`,
        );
        runs[name].push({
          ...res,
          loadAverage: os.loadavg()[0],
          serverCpuPercent: serverCpu,
          serverUsPerUnit: usPerUnit,
          rssKiB: rssKiB(server.pid),
        });
        raw.push({
          scenario: scenario.id,
          server: name,
          run: r + 1,
          ...res,
          serverCpuPercent: serverCpu,
          serverUsPerUnit: usPerUnit,
          loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
        });
      }
    }
  } finally {
    for (const s of Object.values(servers)) await stopServer(s);
  }
  const summary = {};
  for (const name of names) {
    const rs = runs[name];
    if (rs.length === 0) continue;
    const def = hubDef(scenario, name);
    summary[name] = {
      label: def.label,
      runs: rs.length,
      rate: median(rs.map((x) => (x.mode === 'fanout' ? x.deliveriesPerSec : x.messagesPerSec))),
      p50Us: median(rs.map((x) => x.latency.p50Us)),
      p99Us: median(rs.map((x) => x.latency.p99Us)),
      serverCpuPercent: median(rs.map((x) => x.serverCpuPercent)),
      // Server CPU µs per reply (fan-out: per delivery): the figure that stays honest when the
      // generator, not the server, is the ceiling.
      serverUsPerUnit: median(rs.map((x) => x.serverUsPerUnit)),
      // The spread over the runs, [min, max]: on a shared machine a median alone hides the noise.
      rateRange: range(rs.map((x) => (x.mode === 'fanout' ? x.deliveriesPerSec : x.messagesPerSec))),
      serverUsRange: range(rs.map((x) => x.serverUsPerUnit)),
      loadAverageRange: range(rs.map((x) => Math.round(x.loadAverage * 100) / 100)),
      benchCpuPercent: median(rs.map((x) => x.cpu.percentOfOneCore)),
      // Saturated when most runs were (the rate shown is their median): targets then compare CPU.
      saturatedRuns: rs.filter((x) => x.generatorSaturated).length,
      generatorSaturated: rs.filter((x) => x.generatorSaturated).length * 2 > rs.length,
      errors: rs.reduce((n, x) => n + (x.ok ? 0 : 1), 0),
      errorSample: rs.find((x) => !x.ok)?.errors.samples[0],
    };
  }
  return {
    id: scenario.id,
    title: scenario.title,
    kind: scenario.kind,
    unit: scenario.kind === 'rr' ? 'msgs/s' : 'deliveries/s',
    cpuUnit: scenario.kind === 'rr' ? 'msg' : 'delivery',
    servers: summary,
  };
}

// --- scale-out: two nodes on one Redis (issue 10) -------------------------------------------------

/** Members of every scale-out setup: 200, over one node or 100 + 100 over two. */
const SCALE_MEMBERS = 200;
/** Flat out in a window, as fanout-100-window: 1,000 lines not yet delivered to every member. */
const SCALE_WINDOW = 1000;
const SB_TCP_CHAT = 'chat@tcp://127.0.0.1:0?flood=0';
const SB_WS_CHAT = 'chat@ws://127.0.0.1:0/chat?flood=0';

/**
 * Each setup is one row of the scale-out table and one id for `--only`. Every server-side process
 * of a setup — its nodes and the redis-server — is pinned to core 0 and the generator to core 1,
 * so one node and two nodes on Redis get the same one core: their rates and CPU per delivery
 * compare what the Redis hop costs, not what a second core would add.
 */
const SCALE_SETUPS = [
  {
    id: 'scale-1node-200',
    label: 'switchboard, 1 node (tcp)',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 1,
    redis: false,
    pipeline: SCALE_WINDOW,
  },
  {
    id: 'scale-1node-redis',
    label: 'switchboard, 1 node on Redis (tcp)',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 1,
    redis: true,
    pipeline: SCALE_WINDOW,
  },
  {
    id: 'scale-2nodes-redis',
    label: 'switchboard, 2 nodes on Redis (tcp)',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 2,
    redis: true,
    pipeline: SCALE_WINDOW,
  },
  {
    id: 'scale-2nodes-redis-ws',
    label: 'switchboard, 2 nodes on Redis (ws)',
    hub: 'switchboard',
    listener: SB_WS_CHAT,
    path: '/chat',
    nodes: 2,
    redis: true,
    pipeline: SCALE_WINDOW,
  },
  {
    id: 'scale-socketio-redis',
    label: 'Socket.IO 4 + @socket.io/redis-adapter, 2 nodes (ws)',
    hub: 'socketio',
    path: '/socket.io/',
    nodes: 2,
    redis: true,
    pipeline: SCALE_WINDOW,
  },
  {
    id: 'scale-latency-1node',
    label: 'switchboard, 1 node (tcp), 1 in flight',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 1,
    redis: false,
    pipeline: 1,
  },
  {
    id: 'scale-latency-1node-redis',
    label: 'switchboard, 1 node on Redis (tcp), 1 in flight',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 1,
    redis: true,
    pipeline: 1,
  },
  {
    id: 'scale-latency-2nodes-redis',
    label: 'switchboard, 2 nodes on Redis (tcp), 1 in flight',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 2,
    redis: true,
    pipeline: 1,
  },
  // The hop alone: one member on each node, so the delivery time is the hop and not 200 socket
  // writes and 200 reads queued on two cores (with 200 members p50 is ~2 ms in every setup).
  {
    id: 'scale-hop-1node',
    label: 'switchboard, 1 node (tcp), 2 members, 1 in flight',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 1,
    redis: false,
    pipeline: 1,
    members: 2,
  },
  {
    id: 'scale-hop-2nodes-redis',
    label: 'switchboard, 2 nodes on Redis (tcp), 1 + 1 members, 1 in flight',
    hub: 'switchboard',
    listener: SB_TCP_CHAT,
    nodes: 2,
    redis: true,
    pipeline: 1,
    members: 2,
  },
];

function scaleNodeArgv(setup, redisUrl) {
  if (setup.hub === 'socketio') {
    return ['node', 'bench/servers/socketio-chat.js', ...(setup.redis ? ['--redis', redisUrl] : [])];
  }
  return [...SB, ...(setup.redis ? ['--backplane', redisUrl] : []), setup.listener];
}

/** One run of one setup: fresh nodes, one generator over all of them, the nodes stopped after. */
async function scaleRun(setup, redis) {
  const nodes = [];
  try {
    for (let i = 0; i < setup.nodes; i++) {
      nodes.push(await startServer({ argv: scaleNodeArgv(setup, redis?.url), cwd: ROOT }));
    }
    const scheme = setup.path === undefined ? 'tcp' : 'ws';
    const urls = nodes.map((n) => `${scheme}://127.0.0.1:${n.port}${setup.path ?? ''}`);
    const flags = [
      ...['--duration', DURATION, '--size', '64', '--mode', 'fanout', '--adapter', setup.hub],
      ...['--subscribers', String(setup.members ?? SCALE_MEMBERS), '--pipeline', String(setup.pipeline)],
      // A 1,000-line window to 200 members over Socket.IO takes seconds to drain on a busy machine.
      ...['--timeout', '15000', '--server-pid', nodes.map((n) => n.pid).join(',')],
      ...(setup.redis ? ['--backplane-pid', String(redis.pid)] : []),
    ];
    return (await runLoad(ROOT, urls, flags)).result;
  } finally {
    for (const n of nodes) await stopServer(n);
  }
}

/** The setups whose id contains `--only` (all of them for a full run), interleaved run by run. */
async function runScale(raw) {
  const setups = SCALE_SETUPS.filter((s) => args.only === undefined || s.id.includes(args.only));
  if (setups.length === 0) return undefined;
  log(
    `\n== two nodes on one Redis (issue 10): ${setups.map((s) => s.id).join(', ')} × ${RUNS} run(s) of ${DURATION}`,
  );
  if (setups.some((s) => s.redis) && !has('redis-server')) {
    log('  redis-server not found: install it (apt-get install redis-server) to measure the scale-out');
    return undefined;
  }
  const redis = setups.some((s) => s.redis) ? await startRedisServer(ROOT, TMP) : undefined;
  const runs = Object.fromEntries(setups.map((s) => [s.id, []]));
  try {
    for (let r = 0; r < RUNS; r++) {
      for (const setup of setups) {
        await sleep(300); // let the previous run's sockets close
        let res;
        try {
          res = await scaleRun(setup, redis);
        } catch (err) {
          log(`  ${setup.id} run ${r + 1}: ${err.message}`);
          continue;
        }
        const nodes = res.serverCpu;
        const rc = res.backplaneCpu ?? null;
        const row = {
          ...res,
          loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
          nodesCpuPercent: nodes?.percentOfOneCore ?? NaN,
          perNodeCpuPercent: nodes?.perProcess?.map((p) => p.percentOfOneCore) ?? [
            nodes?.percentOfOneCore ?? NaN,
          ],
          nodesUsPerDelivery: nodes?.usPerDelivery ?? NaN,
          redisCpuPercent: setup.redis ? (rc?.percentOfOneCore ?? NaN) : 0,
          redisUsPerDelivery: setup.redis ? (rc?.usPerDelivery ?? NaN) : 0,
        };
        row.totalUsPerDelivery = row.nodesUsPerDelivery + row.redisUsPerDelivery;
        row.totalCpuPercent = row.nodesCpuPercent + row.redisCpuPercent;
        const errs = res.ok ? '' : `  ERRORS: ${res.errors.samples[0] ?? ''}`;
        log(
          `  ${setup.id.padEnd(27)} run ${r + 1}: ${res.deliveriesPerSec.toLocaleString('en-US').padStart(10)} deliveries/s  ` +
            `p50 ${res.latency.p50Us} µs p99 ${res.latency.p99Us} µs  nodes ${row.perNodeCpuPercent.join(' + ')} %, ` +
            `${row.nodesUsPerDelivery} µs/delivery  redis ${row.redisCpuPercent} %, ${row.redisUsPerDelivery} µs/delivery  ` +
            `bench ${res.cpu.percentOfOneCore} %${res.generatorSaturated ? ' (saturated)' : ''}  load ${row.loadAverage}${errs}`,
        );
        runs[setup.id].push(row);
        raw.push({ scenario: setup.id, server: setup.hub, run: r + 1, ...row });
      }
    }
  } finally {
    if (redis !== undefined) await stopServer(redis);
  }
  const summary = {};
  for (const setup of setups) {
    const rs = runs[setup.id];
    if (rs.length === 0) continue;
    const col = (f) => rs.map(f);
    summary[setup.id] = {
      label: setup.label,
      hub: setup.hub,
      nodes: setup.nodes,
      redis: setup.redis,
      transport: setup.path === undefined ? 'tcp' : 'ws',
      pipeline: setup.pipeline,
      members: setup.members ?? SCALE_MEMBERS,
      runs: rs.length,
      rate: median(col((x) => x.deliveriesPerSec)),
      rateRange: range(col((x) => x.deliveriesPerSec)),
      p50Us: median(col((x) => x.latency.p50Us)),
      p50Range: range(col((x) => x.latency.p50Us)),
      p99Us: median(col((x) => x.latency.p99Us)),
      nodesCpuPercent: median(col((x) => x.nodesCpuPercent)),
      perNodeCpuPercent: Array.from({ length: setup.nodes }, (_, i) =>
        median(col((x) => x.perNodeCpuPercent[i])),
      ),
      nodesUsPerUnit: median(col((x) => x.nodesUsPerDelivery)),
      redisCpuPercent: median(col((x) => x.redisCpuPercent)),
      redisUsPerUnit: median(col((x) => x.redisUsPerDelivery)),
      // What decides (targets.js, honestBasis): everything the server side spent — the nodes and
      // the redis-server — per delivery, and its share of core 0 (where all of it is pinned).
      serverUsPerUnit: median(col((x) => x.totalUsPerDelivery)),
      serverUsRange: range(col((x) => x.totalUsPerDelivery)),
      serverCpuPercent: median(col((x) => x.totalCpuPercent)),
      benchCpuPercent: median(col((x) => x.cpu.percentOfOneCore)),
      saturatedRuns: rs.filter((x) => x.generatorSaturated).length,
      generatorSaturated: rs.filter((x) => x.generatorSaturated).length * 2 > rs.length,
      loadAverageRange: range(col((x) => x.loadAverage)),
      errors: rs.reduce((n, x) => n + (x.ok ? 0 : 1), 0),
      errorSample: rs.find((x) => !x.ok)?.errors.samples[0],
    };
  }
  return {
    title: `two nodes on one Redis: 1 sender → ${SCALE_MEMBERS} members, 64-byte lines`,
    members: SCALE_MEMBERS,
    window: SCALE_WINDOW,
    redisServer: version('redis-server', ['--version']),
    setups: summary,
  };
}

// --- idle members and startup ---------------------------------------------------------------------

/** Connect `count` idle members to a hub and report the server's RSS growth per member. */
async function idleMembers(name, count) {
  const def = HUBS[name];
  const port = def.fixedPort ? await freePort() : undefined;
  const server = await startServer({ argv: def.argv(port), port, cwd: ROOT });
  const sockets = [];
  try {
    await sleep(1000);
    const before = rssKiB(server.pid);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const s = connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        s.resume(); // read greetings and whatever else arrives; the members stay idle otherwise
        sockets.push(s);
        await new Promise((resolve, reject) => {
          s.once('connect', resolve);
          s.once('error', reject);
        });
        if (name === 'nats') s.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB idle 1\r\n');
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await sleep(3000);
    const after = rssKiB(server.pid);
    const alive = sockets.filter((s) => !s.destroyed).length;
    const perMemberKiB = Math.round(((after - before) / count) * 100) / 100;
    log(
      `  idle ${name}: ${alive}/${count} connected, RSS ${before} -> ${after} KiB, ${perMemberKiB} KiB per member`,
    );
    return {
      label: def.label,
      members: count,
      connected: alive,
      rssBeforeKiB: before,
      rssAfterKiB: after,
      perMemberKiB,
    };
  } finally {
    for (const s of sockets) s.destroy();
    await stopServer(server);
  }
}

/**
 * One idle WebSocket member of a hub (issue 9), speaking just enough of its dialect to join the
 * room and stay there: switchboard lands in its lobby, nats-server gets CONNECT and SUB, Socket.IO
 * gets its namespace connect and a 'join', and its pings are answered (as its client does).
 */
function idleWsMember(name, url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.on('message', (data) => {
      const text = data.toString('latin1');
      if (name === 'socketio') {
        if (text.startsWith('0{')) ws.send('40');
        else if (text.startsWith('40')) {
          ws.send('42["join","idle"]');
          resolve(ws);
        } else if (text === '2') ws.send('3');
      } else if (name === 'nats' && text.startsWith('PING')) ws.send(Buffer.from('PONG\r\n'));
    });
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      if (name === 'nats')
        ws.send(Buffer.from('CONNECT {"verbose":false,"pedantic":false}\r\nSUB idle 1\r\n'));
      if (name !== 'socketio') resolve(ws);
    });
  });
}

/** Connect `count` idle WebSocket members to a hub and report the server's RSS growth per member. */
async function idleWsMembers(name, count) {
  const def = WS_HUBS[name];
  const port = def.fixedPort ? await freePort() : undefined;
  const server = await startServer({ argv: await def.argv(port), port, cwd: ROOT });
  const sockets = [];
  try {
    await sleep(1000);
    const before = rssKiB(server.pid);
    const url = `ws://127.0.0.1:${server.port}${name === 'socketio' ? '/socket.io/?EIO=4&transport=websocket' : def.path}`;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        sockets.push(await idleWsMember(name, url));
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await sleep(3000);
    const after = rssKiB(server.pid);
    const alive = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
    const perMemberKiB = Math.round(((after - before) / count) * 100) / 100;
    log(
      `  idle ws ${name}: ${alive}/${count} connected, RSS ${before} -> ${after} KiB, ${perMemberKiB} KiB per member`,
    );
    return {
      label: def.label,
      members: count,
      connected: alive,
      rssBeforeKiB: before,
      rssAfterKiB: after,
      perMemberKiB,
    };
  } finally {
    for (const s of sockets) s.terminate();
    await stopServer(server);
  }
}

async function startupTime(times) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const server = await startServer({ argv: [...SB, 'upper@tcp://127.0.0.1:0'], cwd: ROOT });
    samples.push(server.startupMs);
    await stopServer(server);
  }
  const ms = Math.round(median(samples));
  log(`  startup: ${samples.map((x) => Math.round(x)).join(', ')} ms (median ${ms})`);
  return { samplesMs: samples.map((x) => Math.round(x)), medianMs: ms };
}

// --- main -----------------------------------------------------------------------------------------

ensureTools();
const machine = describeMachine();
// Which code was measured: the commit, and whether src/ had uncommitted changes when it was built.
try {
  machine.commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  machine.srcDirty =
    execFileSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
} catch {
  machine.commit = 'unknown';
}
log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; load ${machine.loadAverageAtStart.join(' ')}`,
);
if (CORES < 2) log('note: one core: server and load generator share it; ratios still compare like with like');

const raw = [];
const scenarios = [];
for (const s of SCENARIOS) {
  if (args.only !== undefined && !s.id.includes(args.only)) continue;
  scenarios.push(await runScenario(s, raw));
}
const scale = await runScale(raw);
let idle;
let startup;
if (args.only === undefined || 'idle'.includes(args.only)) {
  log(`\n== ${IDLE_MEMBERS.toLocaleString('en-US')} idle members in one chat room`);
  idle = {};
  for (const name of ['switchboard', 'nats']) {
    if (!available(HUBS[name])) continue;
    try {
      idle[name] = await idleMembers(name, IDLE_MEMBERS);
    } catch (err) {
      log(`  idle ${name}: ${err.message}`);
    }
  }
}
let idleWs;
if (args.only === undefined || 'ws-idle'.includes(args.only)) {
  log(`\n== ${IDLE_MEMBERS.toLocaleString('en-US')} idle WebSocket members in one chat room`);
  idleWs = {};
  for (const name of Object.keys(WS_HUBS)) {
    if (!available(WS_HUBS[name])) continue;
    try {
      idleWs[name] = await idleWsMembers(name, IDLE_MEMBERS);
    } catch (err) {
      log(`  idle ws ${name}: ${err.message}`);
    }
  }
}
if (args.only === undefined || 'startup'.includes(args.only)) {
  log('\n== switchboard serve: spawn to listening');
  startup = await startupTime(QUICK ? 2 : 5);
}

const results = {
  generatedAt: new Date().toISOString(),
  quick: QUICK,
  runs: RUNS,
  duration: DURATION,
  size: 64,
  machine,
  scenarios,
  scale,
  idle,
  idleWs,
  startup,
};
results.targets = evaluateTargets(results);
const stamp = results.generatedAt.replace(/[:.]/g, '-');
mkdirSync(new URL('results/raw/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/raw/${stamp}.json`, import.meta.url),
  JSON.stringify({ ...results, raw }, null, 2),
);
const tables = renderTables(results);
process.stdout.write(`\n${tables}\n`);
if (!QUICK && args.only === undefined) {
  writeFileSync(new URL('results/results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  const docUrl = new URL('../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(docUrl, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a !== -1 && b > a) {
    writeFileSync(docUrl, `${doc.slice(0, a + start.length)}\n${tables}\n${doc.slice(b)}`);
  }
  writeFileSync(new URL('../docs/benchmarks.svg', import.meta.url), renderChart(results));
  // The docs are linted like the code: keep the generated tables in Prettier's format.
  execFileSync('npx', ['prettier', '--write', 'docs/benchmarks.md'], { cwd: ROOT, stdio: 'ignore' });
  log('wrote bench/results/results.json, docs/benchmarks.md (tables), docs/benchmarks.svg');
} else {
  log(`wrote bench/results/raw/${stamp}.json (quick or partial runs leave results.json and docs alone)`);
}
