// Process plumbing for bench/run.js: start servers pinned to a core, read their port, measure their
// CPU and memory from /proc, run the load generator as a child with --json.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';

export const CORES = os.cpus().length;
/** Pin the server to core 0 and the load generator to core 1 where there are two (issue: targets). */
export const SERVER_CORE = '0';
export const LOAD_CORE = CORES >= 2 ? '1' : '0';
const HAS_TASKSET = has('taskset');
export const FD_LIMIT = 65536;

export function has(tool) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function version(cmd, args) {
  try {
    // ncat prints its version on stderr.
    return execFileSync('sh', ['-c', `${cmd} ${args.join(' ')} 2>&1`], { encoding: 'utf8' })
      .split('\n')[0]
      .trim();
  } catch {
    return 'not installed';
  }
}

/**
 * `sh -c 'ulimit -n N; exec taskset -c CORE cmd...'`: 1,000+ connections need more descriptors
 * than the usual 1024, and `exec` keeps the pid the one we measure.
 */
export function pinned(core, argv) {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  const cmd = HAS_TASKSET && core !== undefined ? ['taskset', '-c', core, ...argv] : argv;
  return ['sh', ['-c', script, 'sh', ...cmd]];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export { sleep };

/**
 * Start a server. Either it prints `tcp://127.0.0.1:PORT` (or `ws://…`) on stdout (port 0 servers), or it was
 * given `port` and is polled until it accepts. Resolves { child, port, pid, startupMs }.
 */
export async function startServer({ argv, port, cwd, core = SERVER_CORE, timeoutMs = 15_000 }) {
  const [cmd, args] = pinned(core, argv);
  const startedAt = performance.now();
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const deadline = Date.now() + timeoutMs;
  let timer;
  const found = await new Promise((resolve, reject) => {
    const fail = (why) => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')}: ${why}; stderr: ${err.trim().slice(0, 400)}`));
    };
    child.once('exit', (code) => fail(`exited with ${code} before it listened`));
    if (port === undefined) {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(?:tcp|ws):\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      timer = setTimeout(() => fail(`printed no port within ${timeoutMs} ms`), timeoutMs);
    } else {
      child.stdout.resume();
      const poll = async () => {
        while (Date.now() < deadline) {
          if (await canConnect(port)) return resolve(port);
          await sleep(10);
        }
        fail(`did not accept on ${port} within ${timeoutMs} ms`);
      };
      void poll();
    }
  });
  clearTimeout(timer);
  child.removeAllListeners('exit');
  return { child, port: found, pid: child.pid, startupMs: performance.now() - startedAt };
}

export async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * A redis-server on a free port of 127.0.0.1, pinned to the server core, no persistence (as the
 * tests run it); its files in `dir`. Resolves startServer's result and its `url`.
 */
export async function startRedisServer(cwd, dir) {
  const port = await freePort();
  const argv = [
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const server = await startServer({ argv: [...argv, '--loglevel', 'warning', '--dir', dir], port, cwd });
  return { ...server, url: `redis://127.0.0.1:${port}` };
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (`getconf CLK_TCK`; 100 almost everywhere). */
const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU seconds of a process (and its threads) so far, from /proc/PID/stat. Only the
 * fallback: `switchboard bench --server-pid` measures the server over exactly the measured interval.
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] and [12] are utime and stime (fields 14 and 15 of stat(5)), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Resident set size in KiB, from /proc/PID/status. */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Run `switchboard bench URL… FLAGS --json` pinned to the load core; resolves the parsed result.
 * `url` may be a list: several nodes of one hub (members round-robin, the sender on the first).
 */
export function runLoad(root, url, flags, { core = LOAD_CORE, timeoutMs = 120_000 } = {}) {
  const urls = Array.isArray(url) ? url : [url];
  const [cmd, args] = pinned(core, [
    process.execPath,
    'dist/cli/main.js',
    'bench',
    ...urls,
    ...flags,
    '--json',
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, result: JSON.parse(out), stderr: err.trim() });
      } catch {
        reject(
          new Error(
            `bench ${urls.join(' ')} ${flags.join(' ')} exited ${code} without results: ${err.trim().slice(0, 400)}`,
          ),
        );
      }
    });
  });
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function describeMachine() {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${distro} (${os.type()} ${os.release()})`.trim(),
    node: process.version,
    python: version('python3', ['--version']),
    ncat: version('ncat', ['--version']),
    natsServer: version('nats-server', ['--version']),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    pinning:
      HAS_TASKSET && CORES >= 2
        ? `server on core ${SERVER_CORE}, load generator on core ${LOAD_CORE}`
        : 'none',
  };
}
