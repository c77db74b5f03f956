// The issue's performance targets, evaluated from one run's results, and the Markdown tables that
// docs/benchmarks.md shows (between its results markers).

function rate(results, scenario, server) {
  return results.scenarios.find((s) => s.id === scenario)?.servers[server];
}

function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** µs with three significant digits (0.412, 2.31, 41.2). */
function usFmt(n) {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? fmt(n) : n.toPrecision(3);
}

/** A server at this share of its core is the bottleneck of its run (as for the generator). */
const SATURATED_PERCENT = 90;

/**
 * Which figure decides a ratio between two servers' runs. A rate ratio compares the servers'
 * capacities only when each server was the bottleneck of its run: at ≥ 90 % of its core, with the
 * load generator below its own ceiling. A saturated generator caps both rates at its ceiling; a
 * server with headroom ran at whatever rate the generator and the scheduler let it. Either way the
 * CPU each server spent per message still measures its cost (lower is better), so it decides.
 */
function honestBasis(a, b) {
  if (!a || !b) return { byCpu: false, why: 'not measured' };
  if (!(a.serverUsPerUnit > 0 && b.serverUsPerUnit > 0)) return { byCpu: false, why: 'no server CPU figure' };
  if (a.generatorSaturated || b.generatorSaturated) return { byCpu: true, why: 'generator saturated' };
  if (a.serverCpuPercent < SATURATED_PERCENT || b.serverCpuPercent < SATURATED_PERCENT) {
    return { byCpu: true, why: `a server below ${SATURATED_PERCENT} % of its core` };
  }
  return { byCpu: false, why: 'both servers saturated' };
}

/**
 * Every target of the issue with its measured figure and ratio; `met` is null when not measured.
 * `basis` says which figure decided it: `throughput`, or `server CPU per msg/delivery` when the
 * load generator was the ceiling in either run of the ratio (docs/benchmarks.md, "Reading the
 * results honestly").
 */
export function evaluateTargets(results) {
  const out = [];
  const ratioTarget = (scenario, name, peer, goal, label) => {
    const a = rate(results, scenario, 'switchboard');
    const b = rate(results, scenario, peer);
    const s = results.scenarios.find((x) => x.id === scenario);
    const cpuUnit = s?.cpuUnit ?? 'msg';
    const { byCpu, why } = honestBasis(a, b);
    const ratio = a && b ? (byCpu ? b.serverUsPerUnit / a.serverUsPerUnit : a.rate / b.rate) : NaN;
    out.push({
      target: `${label}: switchboard ≥ ${goal}× ${b?.label ?? peer}`,
      measured:
        a && b
          ? `${fmt(a.rate)} vs ${fmt(b.rate)} ${s.unit}; server ${usFmt(a.serverUsPerUnit)} vs ${usFmt(b.serverUsPerUnit)} µs/${cpuUnit}`
          : 'not measured',
      basis: byCpu ? `server CPU per ${cpuUnit} (${why})` : `throughput (${why})`,
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      goal: `≥ ${goal}×`,
      met: Number.isFinite(ratio) ? ratio >= goal && a.errors === 0 : null,
      scenario,
      name,
    });
  };
  /** Server CPU per message of switchboard over a peer's, at most `limit` times: always by CPU. */
  const cpuTarget = (scenario, peer, limit, target) => {
    const a = rate(results, scenario, 'switchboard');
    const b = rate(results, scenario, peer);
    const ratio = a && b ? a.serverUsPerUnit / b.serverUsPerUnit : NaN;
    out.push({
      target,
      measured:
        a && b
          ? `server ${usFmt(a.serverUsPerUnit)} vs ${usFmt(b.serverUsPerUnit)} µs/msg; ${fmt(a.rate)} vs ${fmt(b.rate)} msgs/s`
          : 'not measured',
      basis: 'server CPU per msg',
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      goal: `≤ ${limit.toFixed(1)}×`,
      met: Number.isFinite(ratio) ? ratio <= limit && a.errors === 0 : null,
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
  // Issue 7: with a C load generator that was not the ceiling (server pinned to one core), upper ran
  // at 0.55–0.58× the pipe echo's throughput in len32be and 0.81× in raw; these bound the cost.
  cpuTarget(
    'rr-len32be-100x16',
    'pipe-echo',
    1.2,
    'upper len32be 100×16: switchboard server CPU per message ≤ 1.2× the pipe echo',
  );
  cpuTarget(
    'rr-raw-100x16',
    'pipe-echo',
    1.1,
    'upper raw 100×16: switchboard server CPU per message ≤ 1.1× the pipe echo',
  );
  /** p50 latency of switchboard over a peer's in one scenario, at most `limit` times. */
  const latencyTarget = (scenario, peer, limit, target) => {
    const a = rate(results, scenario, 'switchboard');
    const b = rate(results, scenario, peer);
    const ratio = a && b ? a.p50Us / b.p50Us : NaN;
    out.push({
      target,
      measured: a && b ? `p50 ${fmt(a.p50Us, 1)} µs vs ${fmt(b.p50Us, 1)} µs` : 'not measured',
      basis: 'p50 latency',
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
      basis: 'errors',
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
      basis: 'RSS per member',
      goal: '≤ 6 KB',
      met: a ? kb <= 6 && a.connected === a.members : null,
    });
  }
  // Issue 9, item 4: WebSocket fan-out 1 → 1,000 and idle WebSocket members.
  ratioTarget('ws-fanout-1000', 'socketio', 'socketio', 3, 'WebSocket fan-out 1→1,000 (100 window)');
  ratioTarget('ws-fanout-1000', 'nats-ws', 'nats', 1.0, 'WebSocket fan-out 1→1,000 (100 window)');
  {
    const a = results.idleWs?.switchboard;
    const peers = ['socketio', 'nats']
      .map((n) => results.idleWs?.[n])
      .filter((x) => x !== undefined)
      .map((x) => `${x.label} ${fmt(x.perMemberKiB * 1.024, 2)} KB`);
    const kb = a ? a.perMemberKiB * 1.024 : NaN;
    out.push({
      target: `${fmt(a?.members ?? 10000)} idle WebSocket chat members: ≤ 10 KB server RSS per member`,
      measured: a
        ? `${fmt(kb, 2)} KB per member (${fmt(a.connected)} connected)${peers.length > 0 ? `; ${peers.join('; ')}` : ''}`
        : 'not measured',
      ratio: null,
      basis: 'RSS per member',
      goal: '≤ 10 KB',
      met: a ? kb <= 10 && a.connected === a.members : null,
    });
  }
  scaleTargets(results.scale, out);
  {
    const s = results.startup;
    out.push({
      target: '`switchboard serve` ready to accept within 300 ms of start',
      measured: s ? `median ${s.medianMs} ms (${s.samplesMs.join(', ')})` : 'not measured',
      ratio: null,
      basis: 'start-up time',
      goal: '≤ 300 ms',
      met: s ? s.medianMs <= 300 : null,
    });
  }
  return out;
}

/**
 * Issue 10, item 6: two nodes on one Redis against one node, and against Socket.IO's redis adapter
 * on the same two-node shape; the Redis hop's latency at one line in flight. A setup's
 * `serverUsPerUnit` and `serverCpuPercent` are the nodes' and the redis-server's together (all of
 * them pinned to one core), so `honestBasis` compares what each whole server side spends.
 */
function scaleTargets(scale, out) {
  if (scale === undefined) return;
  const get = (id) => scale.setups[id];
  const pair = (aId, bId, goal, target) => {
    const a = get(aId);
    const b = get(bId);
    const { byCpu, why } = honestBasis(a, b);
    const ratio = a && b ? (byCpu ? b.serverUsPerUnit / a.serverUsPerUnit : a.rate / b.rate) : NaN;
    out.push({
      target,
      measured:
        a && b
          ? `${fmt(a.rate)} vs ${fmt(b.rate)} deliveries/s; nodes + redis ${usFmt(a.serverUsPerUnit)} vs ${usFmt(b.serverUsPerUnit)} µs/delivery`
          : 'not measured',
      basis: byCpu ? `server-side CPU per delivery, nodes + redis-server (${why})` : `throughput (${why})`,
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      goal: `≥ ${goal}×`,
      met: Number.isFinite(ratio) ? ratio >= goal && a.errors === 0 : null,
    });
  };
  pair(
    'scale-2nodes-redis',
    'scale-1node-200',
    0.7,
    'two nodes on one Redis (100 + 100 members, tcp, 1,000 window) ≥ 0.7× one node with 200 members',
  );
  for (const [twoNodes, oneNode, members] of [
    ['scale-latency-2nodes-redis', 'scale-latency-1node', '200 members'],
    ['scale-hop-2nodes-redis', 'scale-hop-1node', '2 members (the hop alone)'],
  ]) {
    const a = get(twoNodes);
    const b = get(oneNode);
    const added = a && b ? a.p50Us - b.p50Us : NaN;
    out.push({
      target: `one line in flight, ${members}: p50 delivery latency of two nodes on Redis − one node ≤ 0.5 ms`,
      measured:
        a && b
          ? `p50 ${fmt(a.p50Us, 1)} µs (${spread(a.p50Range)}) vs ${fmt(b.p50Us, 1)} µs (${spread(b.p50Range)}); ` +
            `p99 ${fmt(a.p99Us, 1)} vs ${fmt(b.p99Us, 1)} µs: ${added >= 0 ? '+' : '−'}${fmt(Math.abs(added), 1)} µs`
          : 'not measured',
      basis: 'p50 latency, one in flight',
      ratio: null,
      goal: '≤ +500 µs',
      met: Number.isFinite(added) ? added <= 500 && a.errors === 0 : null,
    });
  }
  // WebSocket against WebSocket decides: Socket.IO has no TCP listener.
  pair(
    'scale-2nodes-redis-ws',
    'scale-socketio-redis',
    3,
    'two nodes on one Redis, WebSocket members: switchboard ≥ 3× Socket.IO 4 + @socket.io/redis-adapter',
  );
}

/** `[min, max]` of the runs as `min–max`. */
function spread(r) {
  return Array.isArray(r) ? `${fmt(r[0], 1)}–${fmt(r[1], 1)}` : 'n/a';
}

/** The scale-out setups side by side: rates, CPU of every node and of Redis, latency. */
function scaleTable(scale) {
  const base = scale.setups['scale-1node-200'];
  const rows = Object.entries(scale.setups).map(([id, r]) => {
    const nodes =
      r.nodes === 1
        ? `${fmt(r.nodesCpuPercent)} %`
        : `${r.perNodeCpuPercent.map((x) => fmt(x)).join(' + ')} = ${fmt(r.nodesCpuPercent)} %`;
    const redis = r.redis ? `${fmt(r.redisCpuPercent)} %, ${usFmt(r.redisUsPerUnit)} µs` : '—';
    const vsOne =
      base && id !== 'scale-1node-200' && r.pipeline === base.pipeline
        ? `${fmt(r.rate / base.rate, 2)}×`
        : '—';
    const bench = `${fmt(r.benchCpuPercent)} %${r.generatorSaturated ? ' (saturated)' : ''}`;
    return `| ${r.label} | \`${id}\` | ${r.pipeline} | ${fmt(r.rate)} | ${vsOne} | ${nodes} | ${usFmt(r.nodesUsPerUnit)} | ${redis} | ${usFmt(r.serverUsPerUnit)} | ${bench} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${r.errors === 0 ? 'none' : `${r.errors} run(s)`} |`;
  });
  return [
    `### ${scale.title}`,
    '',
    `Every node and the redis-server (${scale.redisServer}) pinned to core 0, the generator to core 1; nodes' CPU summed, Redis's apart; µs are CPU per delivery.`,
    '',
    '| setup | id | in flight | deliveries/s | ÷ 1 node (rate) | nodes CPU | nodes µs | redis-server CPU, µs | nodes + redis µs | bench CPU | p50 µs | p99 µs | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function scenarioTable(s) {
  const sb = s.servers.switchboard;
  const cpuUnit = s.cpuUnit ?? 'msg';
  const rows = Object.entries(s.servers).map(([name, r]) => {
    const isSb = name === 'switchboard';
    const rateRatio = sb && !isSb ? `${fmt(sb.rate / r.rate, 2)}×` : '—';
    const cpuRatio = sb && !isSb ? `${fmt(r.serverUsPerUnit / sb.serverUsPerUnit, 2)}×` : '—';
    const bench = `${fmt(r.benchCpuPercent)} %${r.generatorSaturated ? ' (saturated)' : ''}`;
    const server = `${fmt(r.serverCpuPercent)} %${r.serverCpuPercent >= SATURATED_PERCENT ? ' (saturated)' : ''}`;
    return `| ${r.label} | ${fmt(r.rate)} | ${server} | ${usFmt(r.serverUsPerUnit)} | ${bench} | ${rateRatio} | ${cpuRatio} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${r.errors === 0 ? 'none' : `${r.errors} run(s)`} |`;
  });
  return [
    `### ${s.title}`,
    '',
    `| server | ${s.unit} | server CPU | server µs/${cpuUnit} | bench CPU | switchboard ÷ this (rate) | this ÷ switchboard (CPU/${cpuUnit}) | p50 µs | p99 µs | errors |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

export function renderTables(results) {
  const m = results.machine;
  const parts = [
    `Measured ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ` +
      `${m.os}; Node ${m.node}, ${m.python}, ${m.ncat}, ${m.natsServer}. Pinning: ${m.pinning}. ` +
      `Load average at start: ${m.loadAverageAtStart.join(' ')}. ${results.size}-byte messages, ` +
      `median of ${results.runs} run(s) of ${results.duration} each. Server CPU is % of one core; ` +
      "server µs/msg (fan-out: µs/delivery) is the server process's CPU time per reply (per delivery) over " +
      'the measured interval. "Saturated": the load generator used ≥ 90 % of its core in most runs, or the ' +
      'server ≥ 90 % of its core (median). A ratio target is decided by throughput only when both servers were ' +
      'saturated and the generator was not; otherwise by server CPU per message (docs/benchmarks.md).' +
      (m.commit === undefined
        ? ''
        : ` Code: commit ${m.commit}${m.srcDirty ? ' plus uncommitted changes in src/' : ''}.`),
    '',
    '### Targets',
    '',
    '| target | measured | by | ratio | goal | met |',
    '|---|---|---|---:|---|---|',
    ...results.targets.map(
      (t) =>
        `| ${t.target} | ${t.measured} | ${t.basis ?? ''} | ${t.ratio === null ? '—' : `${t.ratio.toFixed(2)}×`} | ${t.goal} | ${t.met === null ? 'not measured' : t.met ? '**met**' : '**not met**'} |`,
    ),
    '',
    ...results.scenarios.map((s) => `${scenarioTable(s)}\n`),
    ...(results.scale === undefined ? [] : [`${scaleTable(results.scale)}\n`]),
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
  if (results.idleWs) {
    parts.push(
      '### Idle WebSocket members in one chat room',
      '',
      '| hub | members | connected | RSS before | RSS after | per member |',
      '|---|---:|---:|---:|---:|---:|',
      ...Object.values(results.idleWs).map(
        (i) =>
          `| ${i.label} | ${fmt(i.members)} | ${fmt(i.connected)} | ${fmt(i.rssBeforeKiB)} KiB | ${fmt(i.rssAfterKiB)} KiB | ${fmt(i.perMemberKiB * 1.024, 2)} KB |`,
      ),
      '',
    );
  }
  return parts.join('\n');
}
