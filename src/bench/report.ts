/** Human-readable results table and the JSON form for machines. */
import type { BenchResult } from './result.js';
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

/** The results as a small table, the way `nats bench` prints them. */
export function formatResult(r: BenchResult): string {
  const head: [string, string][] =
    r.mode === 'request-reply'
      ? [
          ['target', `${r.url} (${r.framing}, expect ${r.expect})`],
          ['load', `${r.connections} connection(s) × ${r.pipeline} in flight, ${r.size}-byte messages`],
          [
            'requests',
            `${n(r.sent)} sent, ${n(r.received)} replies in ${(r.durationMs / 1000).toFixed(2)} s`,
          ],
          ['throughput', `${n(r.messagesPerSec)} msgs/s, ${r.mbPerSec.toFixed(2)} MB/s each way`],
        ]
      : [
          ['target', `${r.url} (${r.adapter} hub)`],
          [
            'load',
            `1 sender → ${r.subscribers} member(s), ${r.pipeline === 0 ? 'flat out' : `${r.pipeline} in flight`}, ${r.size}-byte messages`,
          ],
          [
            'messages',
            `${n(r.sent)} sent, ${n(r.deliveries)} deliveries in ${(r.durationMs / 1000).toFixed(2)} s`,
          ],
          ['throughput', `${n(r.messagesPerSec)} msgs/s in, ${n(r.deliveriesPerSec)} deliveries/s out`],
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
    [
      'bench cpu',
      `${r.cpu.percentOfOneCore.toFixed(0)} % of one core${r.cpu.percentOfOneCore >= 90 ? ' — the load generator was the limit; figures are a floor' : ''}`,
    ],
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
