#!/usr/bin/env bash
# Fan-out 1 -> 200 members (a 1,000-message window) and upper len32be 100x16, 5 s each:
# one process vs --workers 2, interleaved, 3 runs, unpinned (server, workers and generator share 2 cores).
# `npm run build` first. One tab-separated row per run; see docs/benchmarks.md, "--workers 2 (issue 10)".
set -u
CLI="$(dirname "$0")/../dist/cli/main.js"
run() { # $1 scenario, $2 label, rest: serve flags
  local scenario=$1 label=$2; shift 2
  local out=${TMPDIR:-/tmp}/sb-workers-bench-serve.out spec args
  if [ "$scenario" = fanout ]; then spec='chat@tcp://127.0.0.1:0?flood=0'; args="--mode fanout --subscribers 200 --pipeline 1000";
  else spec='upper@tcp://127.0.0.1:0?framing=len32be'; args="--connections 100 --pipeline 16"; fi
  node "$CLI" serve --log-level warn "$@" "$spec" > $out 2>${TMPDIR:-/tmp}/sb-workers-bench-serve.err &
  local pid=$!
  for i in $(seq 50); do grep -q 'Press Ctrl-C' $out && break; sleep 0.1; done
  sleep 0.5
  local port=$(grep -o 'tcp://127.0.0.1:[0-9]*' $out | head -1 | cut -d: -f3)
  local url="tcp://127.0.0.1:$port"; [ "$scenario" = upper ] && url="$url?framing=len32be"
  local json=$(node "$CLI" bench "$url" $args --duration 5s --json --no-progress 2>${TMPDIR:-/tmp}/sb-workers-bench-bench.err)
  kill -TERM $pid; wait $pid
  echo "$json" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const c = r.serverCpu ?? {};
    const rate = r.deliveriesPerSec ?? r.messagesPerSec;
    const us = c.usPerDelivery ?? c.usPerMessage;
    const bad = Object.entries(r.errors ?? {}).filter(([k, v]) => typeof v === "number" && v > 0);
    console.log([process.argv[1], process.argv[2], rate, us.toFixed(3), c.percentOfOneCore.toFixed(0) + "%", c.pids.length, r.cpu.percentOfOneCore.toFixed(0) + "%", Math.round(r.latency.p50Us), bad.length ? JSON.stringify(bad) : "ok"].join("\t"));
  ' "$scenario" "$label"
}
echo "$(date -u +%FT%TZ) load: $(cat /proc/loadavg)"
echo -e "scenario\tserver\trate/s\tus/msg\tserverCPU\tpids\tbenchCPU\tp50us\terrors"
for n in 1 2 3; do
  for sc in fanout upper; do
    run $sc one-process
    run $sc workers-2 --workers 2
  done
done
echo "$(date -u +%FT%TZ) load: $(cat /proc/loadavg)"
