import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runBench } from '../../src/bench/index.js';
import { ServerCpuMeter } from '../../src/bench/server-cpu.js';
import { portOf, runCli, startServe } from '../helpers/cli.js';
import { startServer } from '../helpers/socket.js';

interface JsonResult {
  ok: boolean;
  generatorSaturated: boolean;
  serverCpu: {
    pid: number;
    pids: number[];
    source: string;
    cpuMs: number;
    userMs: number;
    systemMs: number;
    percentOfOneCore: number;
    usPerMessage: number;
    usPerDelivery?: number;
  } | null;
  serverCpuNote: string | null;
}

describe('ServerCpuMeter', () => {
  it('measures CPU this process spends', () => {
    const meter = new ServerCpuMeter([process.pid]);
    // Burn at least 30 ms of CPU (bounded: give up after 10^9 iterations).
    const start = process.cpuUsage();
    let x = 0;
    for (let i = 0; i < 1e9 && process.cpuUsage(start).user < 30_000; i++) x += Math.sqrt(i);
    const usage = meter.read(1000);
    expect(x).toBeGreaterThan(0);
    expect(usage).toBeDefined();
    expect(usage!.cpuMs).toBeGreaterThan(0);
    expect(usage!.usPerMessage).toBeGreaterThan(0);
    expect(['schedstat', 'stat']).toContain(usage!.source);
  });

  it('falls back to the process ticks when a thread came and went during the run', async () => {
    const meter = new ServerCpuMeter([process.pid]);
    // A thread that burns a fixed amount of work and exits: no per-thread sample ever sees it.
    const worker = new Worker(
      'let x = 0; for (let i = 0; i < 5e7; i++) x += Math.sqrt(i); require("node:worker_threads").parentPort.postMessage(x);',
      { eval: true },
    );
    await once(worker, 'message');
    await once(worker, 'exit');
    const usage = meter.read(1);
    expect(usage?.source).toBe('stat');
    expect(usage!.cpuMs).toBeGreaterThan(0);
  });

  it('says nothing rather than something wrong when the process is gone', () => {
    expect(new ServerCpuMeter([2 ** 22 + 1]).read(10)).toBeUndefined();
  });
});

describe('switchboard bench: the server CPU per message', () => {
  it('--json: finds the serve process from the port and reports its CPU per message', async () => {
    const serve = await startServe(['upper@tcp://127.0.0.1:0?framing=len32be']);
    const url = `tcp://127.0.0.1:${portOf(serve.urls[0]!)}?framing=len32be`;
    const r = await runCli(['bench', url, '-c', '4', '-p', '8', '-n', '20000', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as JsonResult;
    expect(json.serverCpuNote).toBeNull();
    expect(json.serverCpu).toMatchObject({ pid: serve.child.pid, pids: [serve.child.pid] });
    expect(json.serverCpu!.usPerMessage).toBeGreaterThan(0);
    expect(json.serverCpu!.cpuMs).toBeGreaterThan(0);
    expect(json.serverCpu!.userMs + json.serverCpu!.systemMs).toBeGreaterThanOrEqual(0);
    expect(typeof json.generatorSaturated).toBe('boolean');

    // The same with the PID given, and in the table for people.
    const given = await runCli(['bench', url, '-n', '2000', '--server-pid', String(serve.child.pid)]);
    expect(given.code).toBe(0);
    expect(given.stdout).toMatch(
      new RegExp(`server cpu\\s+[\\d.]+ µs per message \\(pid ${serve.child.pid}: [\\d,]+ ms on CPU`),
    );
  });

  it('finds a server on a Unix socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const serve = await startServe([`upper@unix://${join(dir, 'upper.sock')}?framing=line`]);
    const r = await runCli(['bench', `${serve.urls[0]!}?framing=line`, '-n', '5000', '-p', '8', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as JsonResult;
    expect(json.serverCpu?.pid).toBe(serve.child.pid);
    expect(json.serverCpu!.usPerMessage).toBeGreaterThan(0);
  });

  it('fan-out: CPU per delivery and per sent message', async () => {
    const serve = await startServe(['chat@tcp://127.0.0.1:0?flood=0']);
    const url = `tcp://127.0.0.1:${portOf(serve.urls[0]!)}`;
    const r = await runCli([
      'bench',
      url,
      '--mode',
      'fanout',
      '--subscribers',
      '5',
      '-p',
      '50',
      '-n',
      '2000',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as JsonResult;
    expect(json.serverCpu?.pid).toBe(serve.child.pid);
    expect(json.serverCpu!.usPerDelivery).toBeGreaterThan(0);
    // 5 members: every sent message is 5 deliveries.
    expect(json.serverCpu!.usPerMessage).toBeCloseTo(json.serverCpu!.usPerDelivery! * 5, 1);
  });

  it('--server-pid of a process that does not exist is a usage error (exit 2, one line)', async () => {
    const serve = await startServe(['upper@tcp://127.0.0.1:0']);
    const url = `tcp://127.0.0.1:${portOf(serve.urls[0]!)}`;
    const r = await runCli(['bench', url, '-n', '10', '--server-pid', String(2 ** 22 + 1)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^switchboard: --server-pid 4194305: no such process/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const word = await runCli(['bench', url, '-n', '10', '--server-pid', 'nobody']);
    expect(word.code).toBe(2);
  });

  it('a server it cannot find is a note, not a failure', async () => {
    const serve = await startServe(['upper@tcp://127.0.0.1:0']);
    const url = `tcp://127.0.0.1:${portOf(serve.urls[0]!)}`;
    const r = await runCli(['bench', url, '-n', '10', '--server-pid', 'off', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      serverCpu: null,
      serverCpuNote: 'not measured (turned off)',
    });
  });

  it('a server inside the bench process is found, with the caveat that it shares the CPU', async () => {
    const server = await startServer('upper@tcp://127.0.0.1:0?framing=len32be');
    const result = await runBench({
      url: `tcp://127.0.0.1:${server.listeners[0]!.port}?framing=len32be`,
      messages: 1000,
    });
    expect(result.ok).toBe(true);
    expect(result.serverCpu?.pid).toBe(process.pid);
    expect(result.serverCpuNote).toMatch(/inside the bench process/);
  });
});
