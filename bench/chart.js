// docs/benchmarks.svg from bench/results/results.json: one horizontal bar group per scenario, each
// bar a server's median rate relative to switchboard's. Hand-written SVG: no chart library.
//   node bench/chart.js   (re-render from the committed results)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const COLORS = { switchboard: '#2563eb' };
const PEER = '#9ca3af';

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

/** The server's CPU per message beside its rate: the rate alone may be the generator's ceiling. */
function cpuNote(r, s) {
  if (!(r.serverUsPerUnit > 0)) return '';
  const us = r.serverUsPerUnit >= 100 ? Math.round(r.serverUsPerUnit) : r.serverUsPerUnit.toPrecision(3);
  return ` · ${us} µs/${s.cpuUnit ?? 'msg'} server CPU${r.generatorSaturated ? ' (generator saturated)' : ''}`;
}

export function renderChart(results) {
  const scenarios = results.scenarios.filter(
    (s) => !s.id.startsWith('latency') && s.id !== 'fanout-100-1' && s.id !== 'fanout-100-flat',
  );
  const width = 1000;
  const labelW = 250;
  const barMax = width - labelW - 330; // room for the rate and the CPU per message after the bar
  const rowH = 18;
  let y = 40;
  const body = [];
  for (const s of scenarios) {
    const entries = Object.entries(s.servers);
    const max = Math.max(...entries.map(([, r]) => r.rate));
    body.push(`<text x="10" y="${y}" font-weight="bold">${esc(s.title)} (${esc(s.unit)})</text>`);
    y += 8;
    for (const [name, r] of entries) {
      const w = Math.max(1, (r.rate / max) * barMax);
      body.push(
        `<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(r.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${COLORS[name] ?? PEER}"/>`,
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 13}">${Math.round(r.rate).toLocaleString('en-US')}${cpuNote(r, s)}</text>`,
      );
      y += rowH;
    }
    y += 22;
  }
  const m = results.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">switchboard vs peers — ${esc(results.size)}-byte messages, median of ${esc(results.runs)} runs, ${esc(m.cores)} cores (${esc(m.pinning)})</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = JSON.parse(readFileSync(new URL('results/results.json', import.meta.url), 'utf8'));
  writeFileSync(new URL('../docs/benchmarks.svg', import.meta.url), renderChart(results));
}
