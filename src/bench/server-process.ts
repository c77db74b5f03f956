/**
 * Which process on this machine serves a URL: the one holding its listening socket. The bench
 * measures that process's CPU (server-cpu.ts), because a load generator that is itself at 100 %
 * of a core shows its own ceiling, not the server's cost (issue 7).
 *
 * Linux only, from /proc: the listening socket's inode comes from /proc/net/tcp and tcp6 (state
 * LISTEN on the port) or /proc/net/unix (a listening socket bound to the path); the process is
 * the one with an fd linking to `socket:[INODE]` under /proc/PID/fd.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import { resolve as resolvePath } from 'node:path';

/** Where the server listens: a TCP host and port, or a Unix socket path. */
export type ServerAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** The outcome of a lookup: the server's process ids, or one sentence saying why there are none. */
export type ServerProcessLookup =
  | { readonly found: true; readonly pids: readonly number[]; readonly how: string }
  | { readonly found: false; readonly reason: string };

const TCP_LISTEN = '0A';
/** __SO_ACCEPTCON in /proc/net/unix's Flags column: the socket is listening. */
const UNIX_ACCEPTCON = 0x10000;

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * An address from /proc/net/tcp[6] (`0100007F`, or 32 hex digits for IPv6) as canonical text.
 * The kernel prints each 32-bit word in host byte order, so the bytes are swapped back on
 * little-endian machines.
 */
export function decodeProcAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(os.endianness() === 'LE' ? word.reverse() : word));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalIp(groups.join(':'));
}

/** One spelling per address: IPv6 compressed by the URL parser (`::ffff:127.0.0.1` → `::ffff:7f00:1`). */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The addresses a listener must have to accept connections made to `host`. */
function acceptingAddresses(host: string): Set<string> {
  const wanted = new Set(['0.0.0.0', '::']);
  const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  for (const h of hosts) {
    wanted.add(canonicalIp(h));
    // An IPv6 socket without IPV6_V6ONLY accepts IPv4 as v4-mapped addresses.
    if (isIP(h) === 4) wanted.add(canonicalIp(`::ffff:${h}`));
  }
  return wanted;
}

/** True when `host` names this machine: loopback, `localhost`, or one of its interface addresses. */
export function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '0.0.0.0') return true;
  const local = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return local.some((a) => canonicalIp(a) === canonicalIp(host));
}

/** Inodes of TCP sockets listening on `port` at an address that accepts connections to `host`. */
export function tcpListenInodes(host: string, port: number): number[] {
  const wanted = acceptingAddresses(host);
  const inodes: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = readProc(file);
    if (text === undefined) continue;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      const [addrHex, portHex] = (f[1] ?? '').split(':');
      if (addrHex === undefined || portHex === undefined || parseInt(portHex, 16) !== port) continue;
      if (!wanted.has(decodeProcAddress(addrHex))) continue;
      const inode = Number(f[9]);
      if (inode > 0) inodes.push(inode);
    }
  }
  return inodes;
}

/** Inodes of Unix stream sockets listening on `path` (as given, or resolved against our cwd). */
export function unixListenInodes(path: string): number[] {
  const text = readProc('/proc/net/unix');
  if (text === undefined) return [];
  const paths = new Set([path, resolvePath(path)]);
  const inodes: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    if ((parseInt(f[3] ?? '0', 16) & UNIX_ACCEPTCON) === 0) continue;
    if (!paths.has(f.slice(7).join(' '))) continue;
    const inode = Number(f[6]);
    if (inode > 0) inodes.push(inode);
  }
  return inodes;
}

/**
 * Processes with an open fd on one of the socket inodes. Processes we may not inspect (another
 * user's, when not root) are skipped; the scan is bounded by the number of processes and fds.
 */
export function processesHoldingSockets(inodes: readonly number[]): number[] {
  const links = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (links.has(link)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids.sort((a, b) => a - b);
}

/** True when /proc/PID/stat can be read: the process exists and is visible to us. */
export function processExists(pid: number): boolean {
  return readProc(`/proc/${pid}/stat`) !== undefined;
}

/**
 * Find the process(es) serving `address` on this machine. Never throws: when the server can't be
 * found (another machine, no /proc, a process we may not inspect), says why in one sentence.
 */
export function findServerProcess(address: ServerAddress): ServerProcessLookup {
  if (readProc('/proc/net/unix') === undefined && readProc('/proc/net/tcp') === undefined) {
    return { found: false, reason: 'no /proc/net here (Linux only); give --server-pid to measure it' };
  }
  let inodes: number[];
  let where: string;
  if ('path' in address) {
    where = address.path;
    inodes = unixListenInodes(address.path);
  } else {
    where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    if (!isLocalHost(address.host)) {
      return { found: false, reason: `${where} is not on this machine` };
    }
    inodes = tcpListenInodes(address.host, address.port);
  }
  if (inodes.length === 0) {
    return { found: false, reason: `no listening socket for ${where} in /proc/net; give --server-pid` };
  }
  const pids = processesHoldingSockets(inodes);
  if (pids.length === 0) {
    return {
      found: false,
      reason: `no process we may inspect holds the listening socket of ${where} (another user's?); give --server-pid`,
    };
  }
  // `serve --workers N`: node:cluster's primary holds the listening socket and hands each
  // connection to a worker, its child: the workers do the serving, so they are measured too.
  const workers = sameProgramChildren(pids);
  if (workers.length === 0) return { found: true, pids, how: `the process listening on ${where}` };
  return {
    found: true,
    pids: [...pids, ...workers],
    how: `the process listening on ${where} and its ${workers.length} worker process(es)`,
  };
}

/**
 * Children of `parents` that run the same executable (node:cluster workers, a pre-forking
 * server's children), not helpers it started (a shell, a compressor).
 */
export function sameProgramChildren(parents: readonly number[]): number[] {
  const exe = (pid: number | string): string | undefined => {
    try {
      return readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return undefined;
    }
  };
  const wanted = new Map(parents.map((p) => [p, exe(p)]));
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || wanted.has(Number(entry))) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // pid (comm) state ppid …: the command may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const parentExe = wanted.get(ppid);
    if (parentExe !== undefined && exe(entry) === parentExe) children.push(Number(entry));
  }
  return children.sort((a, b) => a - b);
}
