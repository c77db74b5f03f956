import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The built CLI (`npm test` builds before running the suite). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `switchboard ARGS` to completion, with `input` on stdin; killed after `timeoutMs`. */
export async function runCli(args: string[], input = '', timeoutMs = 10_000): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

export interface ServeProcess {
  child: ChildProcess;
  /** Listener URLs in banner order, ports resolved. */
  urls: string[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Start `switchboard serve ARGS`, wait for its banner, and stop it when the test ends. */
export async function startServe(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no banner in 10 s; stderr: ${err}`)),
      10_000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before listening; stderr: ${err}`));
    });
  });
  const urls = out
    .split('\n')
    .map((line) => /^\s+\S+\s+((?:tcp|udp|unix|tls|ws|wss):\/\/\S+)/.exec(line)?.[1])
    .filter((u): u is string => u !== undefined);
  return { child, urls, stdout: () => out, stderr: () => err, exited };
}

/** The port of `tcp://127.0.0.1:PORT`. */
export function portOf(url: string): number {
  return Number(url.slice(url.lastIndexOf(':') + 1));
}

export interface TerminalSession {
  child: ChildProcess;
  /** Everything written to the terminal so far, escape sequences included. */
  output(): string;
  /** Type a line and press Enter. */
  type(line: string): void;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Run `switchboard ARGS` on a real pseudo-terminal (util-linux `script`, which CI installs), so
 * the interactive code paths run as they do for a person. Killed when the test ends.
 */
export function onTerminal(args: string[]): TerminalSession {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  return {
    child,
    output: () => output,
    type: (line) => child.stdin.write(`${line}\r`),
    exited: once(child, 'exit').then(([code]) => code as number | null),
  };
}
