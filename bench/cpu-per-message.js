// Server CPU time per message (issue 8, item 5): utime+stime of the server process from
// /proc/PID/stat over a fixed message count, with `switchboard bench` as the generator.
// The server is pinned to core 0 and the generator to core 1; each case runs `--runs` times and
// the median is reported, since the machine's two cores are shared.
//
//   node bench/cpu-per-message.js [--runs 3] [--messages 1000000] [--only NAME,...] [--dist DIR]
//
// Cases: switchboard `upper` (len32be, 100 x 16 and 1 x 1; raw 100 x 16) against the bare
// `socket.pipe(socket)` echo; `upper` over ws against the `ws` package's bare echo; over tls and
// wss against bare tls/https echo servers (bench/servers/). Prints one JSON line per case.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    messages: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    dist: { type: 'string', default: 'dist' },
  },
});
const root = resolve(import.meta.dirname, '..');
const cli = join(resolve(root, values.dist), 'cli/main.js');
const generator = join(root, 'dist/cli/main.js');
const runs = Number(values.runs);
const messages = Number(values.messages);
const tick = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** A throwaway self-signed certificate for the TLS cases. */
function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-cert-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
const tls = makeCert();
process.env.SB_BENCH_CERT = tls.cert;
process.env.SB_BENCH_KEY = tls.key;
// The generator trusts the throwaway certificate the way a user would: --insecure is not needed.
process.env.NODE_EXTRA_CA_CERTS = tls.cert;

const sb = (spec) => ['node', cli, 'serve', spec, '--log-level', 'silent'];
const peer = (file) => ['node', join(root, 'bench/servers', file)];
const tlsQuery = `cert=${encodeURIComponent(tls.cert)}&key=${encodeURIComponent(tls.key)}`;

const CASES = [
  {
    name: 'upper-len32be-100x16',
    server: sb('upper@tcp://127.0.0.1:0?framing=len32be'),
    framing: 'len32be',
    c: 100,
    p: 16,
    expect: 'upper',
  },
  {
    name: 'pipe-len32be-100x16',
    server: peer('naive-pipe-echo.js'),
    framing: 'len32be',
    c: 100,
    p: 16,
    expect: 'echo',
  },
  {
    name: 'upper-raw-100x16',
    server: sb('upper@tcp://127.0.0.1:0'),
    framing: 'raw',
    c: 100,
    p: 16,
    expect: 'upper',
  },
  {
    name: 'pipe-raw-100x16',
    server: peer('naive-pipe-echo.js'),
    framing: 'raw',
    c: 100,
    p: 16,
    expect: 'echo',
  },
  {
    name: 'upper-len32be-1x1',
    server: sb('upper@tcp://127.0.0.1:0?framing=len32be'),
    framing: 'len32be',
    c: 1,
    p: 1,
    expect: 'upper',
    messages: 20_000,
  },
  {
    name: 'pipe-len32be-1x1',
    server: peer('naive-pipe-echo.js'),
    framing: 'len32be',
    c: 1,
    p: 1,
    expect: 'echo',
    messages: 20_000,
  },
  {
    name: 'upper-ws-100x16',
    server: sb('upper@ws://127.0.0.1:0/'),
    framing: 'len32be',
    c: 100,
    p: 16,
    expect: 'upper',
    messages: 300_000,
  },
  { name: 'ws-echo-100x16', server: peer('ws-echo.js'), c: 100, p: 16, expect: 'echo', messages: 300_000 },
  {
    name: 'upper-tls-100x16',
    server: sb(`upper@tls://127.0.0.1:0?framing=len32be&${tlsQuery}`),
    framing: 'len32be',
    c: 100,
    p: 16,
    expect: 'upper',
  },
  { name: 'tls-echo-100x16', server: peer('tls-echo.js'), framing: 'len32be', c: 100, p: 16, expect: 'echo' },
  {
    name: 'upper-wss-100x16',
    server: sb(`upper@wss://127.0.0.1:0/?${tlsQuery}`),
    c: 100,
    p: 16,
    expect: 'upper',
    messages: 300_000,
  },
  { name: 'wss-echo-100x16', server: peer('wss-echo.js'), c: 100, p: 16, expect: 'echo', messages: 300_000 },
];

function cpuTicks(pid) {
  // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function startServer(argv) {
  const child = spawn('taskset', ['-c', '0', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /((?:tcp|tls|ws|wss):\/\/127\.0\.0\.1:\d+\/?)/.exec(out);
      if (m) resolveUrl({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited with ${code}: ${out}`)));
  });
}

function runGenerator(url, c, count) {
  const args = [
    '-c',
    '1',
    'node',
    generator,
    'bench',
    url,
    '--connections',
    String(c.c),
    '--pipeline',
    String(c.p),
    '--messages',
    String(count),
    '--expect',
    c.expect,
    '--json',
    '--no-progress',
  ];
  if (c.framing !== undefined) args.push('--framing', c.framing);
  return new Promise((resolveRun, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolveRun(JSON.parse(out)) : reject(new Error(`bench exited ${code}: ${out}`)),
    );
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const only = values.only?.split(',');
for (const c of CASES) {
  if (only !== undefined && !only.includes(c.name)) continue;
  const perMessage = [];
  const rates = [];
  const p50s = [];
  for (let r = 0; r < runs; r++) {
    const { child, url } = await startServer(c.server);
    const count = c.messages ?? messages;
    // Warm-up: let the JIT settle before the measured window.
    await runGenerator(url, c, Math.min(count, 100_000));
    const before = cpuTicks(child.pid);
    const result = await runGenerator(url, c, count);
    const after = cpuTicks(child.pid);
    child.kill('SIGKILL');
    perMessage.push((((after - before) / tick) * 1e6) / result.received);
    rates.push(result.messagesPerSec);
    p50s.push(result.latency.p50Us);
  }
  console.log(
    JSON.stringify({
      case: c.name,
      cpuUsPerMessage: Number(median(perMessage).toFixed(3)),
      runs: perMessage.map((x) => Number(x.toFixed(3))),
      msgsPerSec: median(rates),
      p50: median(p50s),
    }),
  );
}
