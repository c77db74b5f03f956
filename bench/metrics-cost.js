// What `--metrics` costs per message (issue 12, item 2: "request/reply 100 × 16 and fan-out 1 → 100,
// same run, with and without --metrics: ≤ 3 % apart"). Builds nothing: run `npm run build` first.
//
//   node bench/metrics-cost.js [--rounds 8] [--messages 1000000] [--fanout-messages 50000] [--json FILE]
//
// Two servers run side by side for the whole session, both pinned to core 0 (`taskset -c 0`):
//   switchboard serve 'upper@tcp://127.0.0.1:0?framing=len32be' 'chat@tcp://127.0.0.1:0?flood=0'
// one of them with `--metrics http://127.0.0.1:0`. Every port is 0 (the kernel picks; the servers
// say which). The generator (`switchboard bench --server-pid PID --json`) and this script run on
// core 1. Each round measures both servers on both cases, in alternating order (with first in even
// rounds, without first in odd ones), so drift on a shared machine hits both alike:
//   - request/reply: upper len32be, 100 connections × 16 in flight, 64-byte messages: server CPU µs
//     per message;
//   - fan-out: 1 sender → 100 chat members, a 1,000-message window, 64-byte lines: µs per delivery.
// While a run against the metrics server is going, this script scrapes its /metrics once a second.
// Server CPU comes from the bench's own /proc sampling over exactly the measured interval.
// Reported: medians, the ratio of the medians, min–max, a bootstrap 95 % interval of the ratio of
// medians (10,000 resamples of each side), and the median of the per-round ratios (with and without
// measured back to back, so drift between rounds cancels) with its own bootstrap interval.
// Then, since the counters are kept with or without --metrics and the flag adds only the HTTP
// listener and the scrapes: the server CPU of one scrape with 100 request/reply connections and
// 100 chat members open (200 scrapes in a row, from /proc), and what one scrape a second costs
// against the server CPU per second of the measured runs.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    messages: { type: 'string', default: '1000000' },
    'fanout-messages': { type: 'string', default: '50000' },
    json: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const RR_MESSAGES = Number(values.messages);
const FANOUT_MESSAGES = Number(values['fanout-messages']);
const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const SERVER_CORE = '0';
const LOAD_CORE = os.cpus().length >= 2 ? '1' : '0';

const log = (line) => process.stderr.write(`${line}\n`);

// This script scrapes /metrics during the runs: keep it off the server's core, with the generator.
try {
  execFileSync('taskset', ['-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
} catch {
  log('note: taskset not found (apt-get install util-linux): nothing is pinned');
}

function pinned(core, argv) {
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' });
    return ['taskset', ['-c', core, ...argv]];
  } catch {
    return [argv[0], argv.slice(1)];
  }
}

/** Start one server; resolves { child, pid, upper, chat, metrics } once it has said where it listens. */
function startServer(withMetrics) {
  const argv = [
    process.execPath,
    CLI,
    'serve',
    'upper@tcp://127.0.0.1:0?framing=len32be',
    'chat@tcp://127.0.0.1:0?flood=0',
    '--log-level',
    'warn',
    ...(withMetrics ? ['--metrics', 'http://127.0.0.1:0'] : []),
  ];
  const [cmd, args] = pinned(SERVER_CORE, argv);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not say where it listens within 15 s: ${err.slice(0, 300)}`));
    }, 15_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err.slice(0, 300)}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const upper = /upper\s+tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      const chat = /chat\s+tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      const metrics = /metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)?.[1];
      if (upper && chat && (!withMetrics || metrics)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.resume();
        resolvePromise({ child, pid: child.pid, upper: Number(upper), chat: Number(chat), metrics });
      }
    });
  });
}

function stopServer(server) {
  return new Promise((resolvePromise) => {
    if (server.child.exitCode !== null) return resolvePromise();
    server.child.once('exit', () => resolvePromise());
    server.child.kill('SIGTERM');
    setTimeout(() => server.child.kill('SIGKILL'), 3000).unref();
  });
}

/** `switchboard bench … --server-pid PID --json` on the load core; resolves the parsed result. */
function bench(url, flags, pid) {
  const [cmd, args] = pinned(LOAD_CORE, [
    process.execPath,
    CLI,
    'bench',
    url,
    ...flags,
    '--server-pid',
    String(pid),
    '--json',
  ]);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        const result = JSON.parse(out);
        if (!result.ok) reject(new Error(`bench found errors: ${result.errors.samples[0] ?? ''}`));
        else resolvePromise(result);
      } catch {
        reject(new Error(`bench exited ${code} without results: ${err.slice(0, 300)}`));
      }
    });
  });
}

/** Scrape `${base}/metrics` once a second until stopped; counts the scrapes and their bytes. */
function scraper(base) {
  let scrapes = 0;
  let bytes = 0;
  const timer = setInterval(() => {
    get(`${base}/metrics`, (res) => {
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => scrapes++);
    }).on('error', () => {});
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return { scrapes, bytes };
    },
  };
}

const CASES = [
  {
    id: 'rr',
    title: 'request/reply: upper len32be, 100 connections × 16 in flight',
    unit: 'µs/message',
    url: (s) => `tcp://127.0.0.1:${s.upper}?framing=len32be`,
    flags: ['--connections', '100', '--pipeline', '16', '--size', '64', '--expect', 'upper'],
    messages: RR_MESSAGES,
    figure: (r) => r.serverCpu?.usPerMessage,
  },
  {
    id: 'fanout',
    title: 'fan-out: 1 sender → 100 members, 1,000-message window',
    unit: 'µs/delivery',
    url: (s) => `tcp://127.0.0.1:${s.chat}`,
    flags: ['--mode', 'fanout', '--subscribers', '100', '--pipeline', '1000', '--size', '64'],
    messages: FANOUT_MESSAGES,
    figure: (r) => r.serverCpu?.usPerDelivery,
  },
];

async function measure(testCase, server, withMetrics) {
  const scrape = withMetrics ? scraper(server.metrics) : undefined;
  try {
    const flags = [...testCase.flags, '--messages', String(testCase.messages)];
    const r = await bench(testCase.url(server), flags, server.pid);
    const s = scrape?.stop();
    return {
      us: testCase.figure(r),
      rate: r.mode === 'fanout' ? r.deliveriesPerSec : r.messagesPerSec,
      serverCpuPercent: r.serverCpu?.percentOfOneCore,
      benchCpuPercent: r.cpu.percentOfOneCore,
      durationMs: r.durationMs,
      scrapes: s?.scrapes ?? 0,
      loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    };
  } finally {
    scrape?.stop();
  }
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** 95 % bootstrap interval of median(a) / median(b), resampling each side independently. */
function bootstrapRatio(a, b, resamples = 10_000) {
  // A fixed-seed generator: the same data gives the same interval.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (v) => Array.from(v, () => v[Math.floor(random() * v.length)]);
  const ratios = [];
  for (let i = 0; i < resamples; i++) ratios.push(median(pick(a)) / median(pick(b)));
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(resamples * 0.025)], ratios[Math.floor(resamples * 0.975)]];
}

/** 95 % bootstrap interval of the median of per-round ratios. */
function bootstrapMedian(v, resamples = 10_000) {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const medians = [];
  for (let i = 0; i < resamples; i++) {
    medians.push(median(Array.from(v, () => v[Math.floor(random() * v.length)])));
  }
  medians.sort((x, y) => x - y);
  return [medians[Math.floor(resamples * 0.025)], medians[Math.floor(resamples * 0.975)]];
}

/** CPU ns of a process so far: the sum of its threads' schedstat, as the bench reads it. */
function cpuNs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread exited */
    }
  }
  return ns;
}

function scrapeOnce(base) {
  return new Promise((resolvePromise, reject) => {
    get(`${base}/metrics`, (res) => {
      res.resume();
      res.on('end', resolvePromise);
    }).on('error', reject);
  });
}

/** Server CPU ms per scrape with 100 connections to upper and 100 chat members open and idle. */
async function scrapeCost(server, count = 200) {
  const open = (port) =>
    new Promise((resolvePromise, reject) => {
      const s = connect(port, '127.0.0.1', () => resolvePromise(s));
      s.on('error', reject);
      s.resume();
    });
  const sockets = [];
  try {
    for (let i = 0; i < 100; i++) sockets.push(await open(server.upper), await open(server.chat));
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 10; i++) await scrapeOnce(server.metrics); // warm-up
    const before = cpuNs(server.pid);
    for (let i = 0; i < count; i++) await scrapeOnce(server.metrics);
    return (cpuNs(server.pid) - before) / 1e6 / count;
  } finally {
    for (const s of sockets) s.destroy();
  }
}

const pct = (r) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;
const us = (x) => (x >= 10 ? x.toFixed(2) : x.toFixed(3));

log(
  `metrics cost: ${ROUNDS} rounds; load average at start ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const servers = { with: await startServer(true), without: await startServer(false) };
log(
  `servers: with --metrics pid ${servers.with.pid} (${servers.with.metrics}), without pid ${servers.without.pid}`,
);
let scrapeMs = NaN;
const samples = Object.fromEntries(CASES.map((c) => [c.id, { with: [], without: [] }]));
try {
  // One unmeasured run of each case against each server: JIT warm-up, first connections.
  for (const c of CASES) {
    for (const side of ['with', 'without']) {
      await bench(
        c.url(servers[side]),
        [...c.flags, '--messages', String(Math.ceil(c.messages / 4))],
        servers[side].pid,
      );
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    for (const c of CASES) {
      for (const side of order) {
        const m = await measure(c, servers[side], side === 'with');
        samples[c.id][side].push(m);
        log(
          `  round ${round + 1} ${c.id.padEnd(6)} ${side.padEnd(7)} ${us(m.us)} ${c.unit}  ` +
            `${m.rate.toLocaleString('en-US')}/s  server ${m.serverCpuPercent} %  bench ${m.benchCpuPercent} %  ` +
            `scrapes ${m.scrapes}  load ${m.loadAverage}`,
        );
      }
    }
  }
  scrapeMs = await scrapeCost(servers.with);
  log(
    `scrape: ${scrapeMs.toFixed(2)} ms of server CPU per /metrics scrape (100 + 100 idle connections open)`,
  );
} finally {
  await stopServer(servers.with);
  await stopServer(servers.without);
}

const summary = CASES.map((c) => {
  const a = samples[c.id].with.map((m) => m.us);
  const b = samples[c.id].without.map((m) => m.us);
  const paired = a.map((x, i) => x / b[i]);
  // Server CPU ms per second of the measured runs with --metrics: what one scrape a second is set against.
  const cpuMsPerSecond = median(samples[c.id].with.map((m) => m.serverCpuPercent * 10));
  return {
    case: c.id,
    title: c.title,
    unit: c.unit,
    with: { median: median(a), min: Math.min(...a), max: Math.max(...a), runs: a },
    without: { median: median(b), min: Math.min(...b), max: Math.max(...b), runs: b },
    ratioOfMedians: median(a) / median(b),
    medianPairedRatio: median(paired),
    pairedRatios: paired,
    pairedBootstrap95: bootstrapMedian(paired),
    serverCpuMsPerSecond: cpuMsPerSecond,
    scrapeShare: scrapeMs / cpuMsPerSecond,
    bootstrap95: bootstrapRatio(a, b),
    scrapes: samples[c.id].with.reduce((n, m) => n + m.scrapes, 0),
    loadAverage: [
      Math.min(...[...samples[c.id].with, ...samples[c.id].without].map((m) => m.loadAverage)),
      Math.max(...[...samples[c.id].with, ...samples[c.id].without].map((m) => m.loadAverage)),
    ],
  };
});

const lines = [
  '| case | without --metrics, median (min–max) | with --metrics, scraped 1/s, median (min–max) | with ÷ without (medians), bootstrap 95 % | per-round ratio: median, bootstrap 95 % | one scrape/s ÷ server CPU/s | load average |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...summary.map(
    (s) =>
      `| ${s.title}, ${s.unit} | ${us(s.without.median)} (${us(s.without.min)}–${us(s.without.max)}) | ` +
      `${us(s.with.median)} (${us(s.with.min)}–${us(s.with.max)}) | ` +
      `${s.ratioOfMedians.toFixed(3)} (${pct(s.ratioOfMedians)}), ${s.bootstrap95.map((x) => x.toFixed(3)).join('–')} | ` +
      `${s.medianPairedRatio.toFixed(3)}, ${s.pairedBootstrap95.map((x) => x.toFixed(3)).join('–')} | ` +
      `${(s.scrapeShare * 100).toFixed(2)} % (${scrapeMs.toFixed(2)} ms ÷ ${s.serverCpuMsPerSecond.toFixed(0)} ms) | ` +
      `${s.loadAverage.join('–')} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json !== undefined) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ at: new Date().toISOString(), rounds: ROUNDS, scrapeMs, summary, samples }, null, 2)}\n`,
  );
}
