// Print the functions with the most self time in a V8 .cpuprofile (from `node --cpu-prof`).
//   node bench/profile-top.js PROFILE.cpuprofile [N]
//   node bench/profile-top.js PROFILE.cpuprofile [N] --inclusive
// --inclusive: time with the function anywhere on the stack (each sample counted once per
// function), as a share of the busy time (idle left out): where a path's time goes in all.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const [file, n = '25'] = args.filter((a) => a !== '--inclusive');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const dt = profile.timeDeltas;
const counts = new Map();
profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
const keyOf = (f) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${f.lineNumber + 1}`;
const time = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of counts) {
  total += us;
  if (!inclusive) {
    const key = keyOf(byId.get(id).callFrame);
    time.set(key, (time.get(key) ?? 0) + us);
    continue;
  }
  if (byId.get(id).callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const key = keyOf(byId.get(at).callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    time.set(key, (time.get(key) ?? 0) + us);
  }
}
const of = inclusive ? total - idle : total;
if (inclusive) console.log(`busy ${Math.round((total - idle) / 1000)} ms of ${Math.round(total / 1000)} ms`);
const rows = [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
for (const [key, us] of rows) console.log(`${((us / of) * 100).toFixed(1).padStart(5)} %  ${key}`);
