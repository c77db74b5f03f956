/** Human-readable results table and the JSON form for machines. */
import type { BenchResult } from './result.js';
import type { ServerCpuUsage } from './server-cpu.js';
import { errorTotal } from './result.js';

function n(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function us(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} ms` : `${value.toFixed(value < 100 ? 1 : 0)} µs`;
}

function rows(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** Three significant digits: 41.2, 2.31, 0.412 µs. */
function sig(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function cpuLine(c: ServerCpuUsage): string {
  const who =
    c.perProcess !== undefined
      ? `pids ${c.perProcess.map((p) => `${p.pid} ${p.percentOfOneCore.toFixed(0)} %`).join(' + ')}`
      : c.pids.length === 1
        ? `pid ${c.pid}`
        : `pids ${c.pids.join(', ')}`;
  const perUnit =
    c.usPerDelivery !== undefined
      ? `${sig(c.usPerDelivery)} µs per delivery, ${sig(c.usPerMessage)} µs per sent message`
      : `${sig(c.usPerMessage)} µs per message`;
  return `${perUnit} (${who}: ${n(c.cpuMs)} ms on CPU, ${c.percentOfOneCore.toFixed(0)} % of one core)`;
}

function serverCpuLine(r: BenchResult): string {
  return r.serverCpu === null ? (r.serverCpuNote ?? 'not measured') : cpuLine(r.serverCpu);
}

/** The backplane's own line, when one was measured: part of the cost, kept apart from the server's. */
function backplaneCpuLines(r: BenchResult): [string, string][] {
  if (r.backplaneCpu === undefined) return [];
  return [
    [
      'backplane cpu',
      r.backplaneCpu === null ? 'not measured: the process exited during the run' : cpuLine(r.backplaneCpu),
    ],
  ];
}

/** Lines that change how the figures should be read. */
function notes(r: BenchResult): [string, string][] {
  const out: [string, string][] = [];
  if (r.generatorSaturated) {
    out.push([
      'note',
      `generator at ${r.cpu.percentOfOneCore.toFixed(0)} % of its core: throughput is the generator's ceiling; ` +
        `compare server CPU per ${r.mode === 'fanout' ? 'delivery' : 'message'} instead`,
    ]);
  }
  if (r.serverCpu !== null && r.serverCpuNote !== null) out.push(['note', r.serverCpuNote]);
  return out;
}

/** The results as a small table, the way `nats bench` prints them. */
export function formatResult(r: BenchResult): string {
  const head: [string, string][] =
    r.mode === 'request-reply'
      ? [
          [
            'target',
            `${r.urls === undefined ? r.url : `${r.urls.join(' + ')} (round-robin)`} (${r.framing}, expect ${r.expect})`,
          ],
          ['load', `${r.connections} connection(s) × ${r.pipeline} in flight, ${r.size}-byte messages`],
          [
            'requests',
            `${n(r.sent)} sent, ${n(r.received)} replies in ${(r.durationMs / 1000).toFixed(2)} s`,
          ],
          ['throughput', `${n(r.messagesPerSec)} msgs/s, ${r.mbPerSec.toFixed(2)} MB/s each way`],
        ]
      : [
          [
            'target',
            r.urls === undefined
              ? `${r.url} (${r.adapter} hub)`
              : `${r.urls.join(' + ')} (${r.adapter} hub, members round-robin, the sender on the first)`,
          ],
          [
            'load',
            `1 sender → ${r.subscribers} member(s), ${r.pipeline === 0 ? 'flat out' : `${r.pipeline} in flight`}, ${r.size}-byte messages`,
          ],
          [
            'messages',
            `${n(r.sent)} sent, ${n(r.deliveries)} deliveries in ${(r.durationMs / 1000).toFixed(2)} s`,
          ],
          ['throughput', `${n(r.messagesPerSec)} msgs/s in, ${n(r.deliveriesPerSec)} deliveries/s out`],
          ...(r.perNode ?? []).map((p): [string, string] => [
            'node',
            `${p.url}: ${n(p.members)} members, ${n(p.deliveries)} deliveries`,
          ]),
        ];
  const l = r.latency;
  const e = r.errors;
  const problems = errorTotal(e);
  const lines = [
    ...head,
    [
      'latency',
      `p50 ${us(l.p50Us)}  p90 ${us(l.p90Us)}  p99 ${us(l.p99Us)}  p99.9 ${us(l.p999Us)}  max ${us(l.maxUs)}`,
    ],
    ['server cpu', serverCpuLine(r)],
    ...backplaneCpuLines(r),
    ['bench cpu', `${r.cpu.percentOfOneCore.toFixed(0)} % of one core`],
    ...notes(r),
    [
      'errors',
      problems === 0
        ? 'none: every reply checked'
        : [
            e.wrong && `${n(e.wrong)} wrong`,
            e.missing && `${n(e.missing)} missing`,
            e.unexpected && `${n(e.unexpected)} unexpected`,
            e.gaps && `${n(e.gaps)} skipped`,
            e.repeats && `${n(e.repeats)} repeated`,
            e.connections && `${n(e.connections)} connection failure(s)`,
          ]
            .filter(Boolean)
            .join(', '),
    ],
  ] as [string, string][];
  const out = rows(lines);
  return problems === 0 ? `${out}\n` : `${out}\n${e.samples.map((s) => `  ! ${s}`).join('\n')}\n`;
}

/** The result as JSON (one object, stable field names: see `BenchResult`). */
export function formatJson(r: BenchResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
