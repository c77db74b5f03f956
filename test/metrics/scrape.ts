import { request } from 'node:http';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET a path of a metrics endpoint (no keep-alive: nothing outlives the test). */
export function get(base: string, path: string): Promise<HttpAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${base}${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** `/metrics`, parsed by a Prometheus text-format parser (not a regex of ours). */
export class Scrape {
  constructor(readonly families: readonly ParsedFamily[]) {}

  static async of(base: string): Promise<Scrape> {
    const answer = await get(base, '/metrics');
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
    return new Scrape(parsePrometheusTextFormat(answer.body));
  }

  family(name: string): ParsedFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The value of the one series of `name` whose labels include `labels`; undefined if none. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    const matches = (this.family(name)?.metrics ?? []).filter((m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
    );
    if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${matches.length} series`);
    return matches[0] === undefined ? undefined : Number(matches[0].value);
  }
}

/** Scrape until `test` holds (the server sees a close a moment after the client), bounded. */
export async function scrapeUntil(
  base: string,
  test: (s: Scrape) => boolean,
  timeoutMs = 5000,
): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await Scrape.of(base);
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`metrics did not reach the expected state in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
