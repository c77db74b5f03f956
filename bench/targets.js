// The issue's performance targets, evaluated from one run's results, and the Markdown tables that
// docs/benchmarks.md shows (between its results markers).

function rate(results, scenario, server) {
  return results.scenarios.find((s) => s.id === scenario)?.servers[server];
}

function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Every target of the issue with its measured figure and ratio; `met` is null when not measured. */
export function evaluateTargets(results) {
  const out = [];
  const ratioTarget = (scenario, name, peer, goal, label) => {
    const a = rate(results, scenario, 'switchboard');
    const b = rate(results, scenario, peer);
    const ratio = a && b ? a.rate / b.rate : NaN;
    out.push({
      target: `${label}: switchboard ≥ ${goal}× ${b?.label ?? peer}`,
      measured:
        a && b
          ? `${fmt(a.rate)} vs ${fmt(b.rate)} ${results.scenarios.find((s) => s.id === scenario).unit}`
          : 'not measured',
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      goal: `≥ ${goal}×`,
      met: Number.isFinite(ratio) ? ratio >= goal && a.errors === 0 : null,
      scenario,
      name,
    });
  };
  for (const [scenario, label] of [
    ['rr-len32be-100x16', 'upper len32be 100×16'],
    ['rr-len32be-1000x1', 'upper len32be 1,000×1'],
    ['rr-raw-100x16', 'upper raw 100×16'],
  ]) {
    ratioTarget(scenario, 'pipe', 'pipe-echo', 1.0, label);
    ratioTarget(scenario, 'asyncio', 'asyncio', 10, label);
  }
  /** p50 latency of switchboard over a peer's in one scenario, at most `limit` times. */
  const latencyTarget = (scenario, peer, limit, target) => {
    const a = rate(results, scenario, 'switchboard');
    const b = rate(results, scenario, peer);
    const ratio = a && b ? a.p50Us / b.p50Us : NaN;
    out.push({
      target,
      measured: a && b ? `p50 ${fmt(a.p50Us, 1)} µs vs ${fmt(b.p50Us, 1)} µs` : 'not measured',
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      goal: `≤ ${limit.toFixed(1)}×`,
      met: Number.isFinite(ratio) ? ratio <= limit && a.errors === 0 : null,
    });
  };
  latencyTarget(
    'latency-len32be-1x1',
    'pipe-echo',
    1.2,
    '1×1 same core: switchboard p50 latency ≤ 1.2× the pipe echo',
  );
  ratioTarget('fanout-100-window', 'nats', 'nats', 0.5, 'fan-out 1→100 flat out (1,000 window)');
  ratioTarget('fanout-100-window', 'relay', 'line-relay', 5, 'fan-out 1→100 flat out (1,000 window)');
  {
    const a = rate(results, 'fanout-100-flat', 'switchboard');
    out.push({
      target: 'fan-out flat out with no window: no member disconnected for a full queue (no errors)',
      measured: a
        ? a.errors === 0
          ? 'no member dropped, no gap'
          : `errors in ${a.errors} run(s): ${a.errorSample ?? ''}`
        : 'not measured',
      ratio: null,
      goal: '0 errors',
      met: a ? a.errors === 0 : null,
    });
  }
  latencyTarget(
    'fanout-100-1',
    'nats',
    1,
    'fan-out 1→100, one in flight: switchboard p50 delivery latency ≤ nats-server',
  );
  {
    const a = results.idle?.switchboard;
    const b = results.idle?.nats;
    const kb = a ? a.perMemberKiB * 1.024 : NaN;
    out.push({
      target: `${fmt(a?.members ?? 10000)} idle chat members: ≤ 6 KB server RSS per member`,
      measured: a
        ? `${fmt(kb, 2)} KB per member (${fmt(a.connected)} connected)${b ? `; nats-server ${fmt(b.perMemberKiB * 1.024, 2)} KB` : ''}`
        : 'not measured',
      ratio: b && a ? Math.round((a.perMemberKiB / b.perMemberKiB) * 100) / 100 : null,
      goal: '≤ 6 KB',
      met: a ? kb <= 6 && a.connected === a.members : null,
    });
  }
  {
    const s = results.startup;
    out.push({
      target: '`switchboard serve` ready to accept within 300 ms of start',
      measured: s ? `median ${s.medianMs} ms (${s.samplesMs.join(', ')})` : 'not measured',
      ratio: null,
      goal: '≤ 300 ms',
      met: s ? s.medianMs <= 300 : null,
    });
  }
  return out;
}

function scenarioTable(s) {
  const sb = s.servers.switchboard;
  const rows = Object.entries(s.servers).map(([name, r]) => {
    const ratio = sb && name !== 'switchboard' ? `${fmt(sb.rate / r.rate, 2)}×` : '—';
    return `| ${r.label} | ${fmt(r.rate)} | ${ratio} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.serverCpuPercent)} % | ${fmt(r.benchCpuPercent)} % | ${r.errors === 0 ? 'none' : `${r.errors} run(s)`} |`;
  });
  return [
    `### ${s.title}`,
    '',
    `| server | ${s.unit} | switchboard ÷ this | p50 µs | p99 µs | server CPU | bench CPU | errors |`,
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

export function renderTables(results) {
  const m = results.machine;
  const parts = [
    `Measured ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ` +
      `${m.os}; Node ${m.node}, ${m.python}, ${m.ncat}, ${m.natsServer}. Pinning: ${m.pinning}. ` +
      `Load average at start: ${m.loadAverageAtStart.join(' ')}. ${results.size}-byte messages, ` +
      `median of ${results.runs} run(s) of ${results.duration} each. Server CPU is % of one core.` +
      (m.commit === undefined
        ? ''
        : ` Code: commit ${m.commit}${m.srcDirty ? ' plus uncommitted changes in src/' : ''}.`),
    '',
    '### Targets',
    '',
    '| target | measured | ratio | goal | met |',
    '|---|---|---:|---|---|',
    ...results.targets.map(
      (t) =>
        `| ${t.target} | ${t.measured} | ${t.ratio === null ? '—' : `${t.ratio.toFixed(2)}×`} | ${t.goal} | ${t.met === null ? 'not measured' : t.met ? '**met**' : '**not met**'} |`,
    ),
    '',
    ...results.scenarios.map((s) => `${scenarioTable(s)}\n`),
  ];
  if (results.idle) {
    parts.push(
      '### Idle members in one chat room',
      '',
      '| hub | members | connected | RSS before | RSS after | per member |',
      '|---|---:|---:|---:|---:|---:|',
      ...Object.values(results.idle).map(
        (i) =>
          `| ${i.label} | ${fmt(i.members)} | ${fmt(i.connected)} | ${fmt(i.rssBeforeKiB)} KiB | ${fmt(i.rssAfterKiB)} KiB | ${fmt(i.perMemberKiB * 1.024, 2)} KB |`,
      ),
      '',
    );
  }
  return parts.join('\n');
}
