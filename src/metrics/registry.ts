import { collectDefaultMetrics, Counter, Gauge, Registry, type Aggregator } from 'prom-client';
import type { ServerStats } from '../server/serve.js';
import type { ServiceStats } from '../services/service.js';
import { descriptors } from '../transports/descriptors.js';
import { wsServerCloseCodes } from '../transports/ws-connection.js';
import type { BackplaneStats } from '../backplane/backplane.js';
import { MemoryBackplane } from '../backplane/memory.js';

/** Label values of one series. */
type Labels = Record<string, string>;
/** The series of one metric, as (labels, value) pairs, read from a snapshot at scrape time. */
type Series = (s: ServerStats) => Iterable<readonly [Labels, number]>;

/** The switchboard metrics of one server, on a registry of their own (not prom-client's global). */
export interface MetricsRegistry {
  readonly registry: Registry;
  /** The Prometheus text exposition, from one snapshot of the server's counters. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

/**
 * DESIGN §9. Nothing is counted here: the sessions, listeners and hubs keep plain integers as they
 * go, and every metric's `collect()` reads them when Prometheus scrapes — no prom-client call per
 * message, so a server with metrics runs the same hot path as one without (docs/benchmarks.md).
 * One scrape reads `server.stats()` once; every metric takes its figures from that snapshot.
 */
export function createMetricsRegistry(read: () => ServerStats, version: string): MetricsRegistry {
  const registry = new Registry();
  // The event-loop-delay monitor samples every 100 ms rather than prom-client's default 10 ms: at
  // 10 ms its 100 wake-ups a second cost an idle server ~5 ms of CPU a second (docs/benchmarks.md,
  // metrics cost), more than every scrape; lag percentiles from 10 samples a second still show a
  // loop that falls behind.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  let snapshot: ServerStats | undefined;
  const current = (): ServerStats => snapshot ?? read();

  // With --workers, prom-client's AggregatorRegistry sums each metric over the workers unless it
  // names another aggregator: `min` for up/down gauges, `max` for worsts, `first` for facts.
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    series: Series,
    aggregator: Aggregator = 'sum',
  ): void => {
    new Gauge({
      name,
      help,
      labelNames,
      aggregator,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of series(current())) this.set(labels, value);
      },
    });
  };
  const counter = (name: string, help: string, labelNames: readonly string[], series: Series): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // A counter here mirrors one kept elsewhere: reset, then the running total.
        this.reset();
        for (const [labels, value] of series(current())) this.inc(labels, value);
      },
    });
  };

  // ---- per listener --------------------------------------------------------------------------
  const LISTENER = ['listener', 'transport', 'service'] as const;
  const perListener =
    (pick: (l: ServerStats['listeners'][number]) => number): Series =>
    (s) =>
      s.listeners.map(
        (l) => [{ listener: l.url, transport: l.transport, service: l.service }, pick(l)] as const,
      );

  gauge(
    'switchboard_listener_up',
    '1 while the listener accepts, 0 once it has stopped',
    LISTENER,
    perListener((l) => (l.up ? 1 : 0)),
    'min',
  );
  gauge(
    'switchboard_connections',
    'Open connections',
    LISTENER,
    perListener((l) => l.connections),
  );
  counter(
    'switchboard_connections_total',
    'Connections accepted',
    LISTENER,
    perListener((l) => l.connectionsTotal),
  );
  counter(
    'switchboard_messages_received_total',
    'Messages decoded from peers (udp: datagrams)',
    LISTENER,
    perListener((l) => l.messagesIn),
  );
  counter(
    'switchboard_messages_sent_total',
    'Messages handed to connections: replies and frames a service sent (a chat frame may carry several lines of one room)',
    LISTENER,
    perListener((l) => l.messagesOut),
  );
  counter(
    'switchboard_bytes_received_total',
    'Bytes read from connections',
    LISTENER,
    perListener((l) => l.bytesIn),
  );
  counter(
    'switchboard_bytes_sent_total',
    'Bytes written to connections',
    LISTENER,
    perListener((l) => l.bytesOut),
  );
  counter('switchboard_closes_total', 'Connections closed, by reason', [...LISTENER, 'reason'], (s) =>
    s.listeners.flatMap((l) =>
      Object.entries(l.closes).map(
        ([reason, n]) =>
          [{ listener: l.url, transport: l.transport, service: l.service, reason }, n] as const,
      ),
    ),
  );
  counter(
    'switchboard_connections_refused_total',
    'Connections turned away: full (maxConnections) or descriptors (out of file descriptors)',
    [...LISTENER, 'reason'],
    (s) =>
      s.listeners.flatMap((l) => {
        const base = { listener: l.url, transport: l.transport, service: l.service };
        return [
          [{ ...base, reason: 'full' }, l.refusedFull],
          [{ ...base, reason: 'descriptors' }, l.refusedForDescriptors],
        ] as const;
      }),
  );
  counter(
    'switchboard_tls_handshake_failures_total',
    'TLS handshakes that failed or timed out (tls, wss listeners)',
    LISTENER,
    (s) =>
      s.listeners
        .filter((l) => l.transport === 'tls' || l.transport === 'wss')
        .map(
          (l) =>
            [
              { listener: l.url, transport: l.transport, service: l.service },
              l.tlsHandshakeFailures,
            ] as const,
        ),
  );

  // ---- process -------------------------------------------------------------------------------
  counter(
    'switchboard_websocket_closes_total',
    'WebSocket connections closed, by close code (1006: lost without a close frame)',
    ['code'],
    () => [...wsServerCloseCodes].map(([code, n]) => [{ code: String(code) }, n] as const),
  );
  gauge('switchboard_descriptors_in_use', 'File descriptors in use at the last count', [], () => [
    [{}, descriptors.stats.inUse],
  ]);
  gauge(
    'switchboard_descriptors_limit',
    'The soft file descriptor limit (ulimit -n); absent where unknown',
    [],
    () => {
      const { limit } = descriptors.stats;
      return limit === undefined ? [] : [[{}, limit]];
    },
  );
  gauge(
    'switchboard_info',
    'Always 1; the version as a label',
    ['version'],
    () => [[{ version }, 1]],
    'first',
  );
  // Without a backplane each hub is in this process alone: reported as `memory`, always up.
  const backplane = (s: ServerStats): BackplaneStats => s.backplane ?? new MemoryBackplane().stats();
  gauge(
    'switchboard_backplane_up',
    '1 while the chat backplane is connected (memory: in-process, always 1)',
    ['backplane'],
    (s) => [[{ backplane: backplane(s).kind }, backplane(s).up ? 1 : 0]],
    'min',
  );
  counter(
    'switchboard_backplane_gap_fills_total',
    'Times a node read a room stream to fill a gap in the numbers or catch up after an outage',
    [],
    (s) => [[{}, backplane(s).gapFills]],
  );
  counter(
    'switchboard_backplane_lines_filled_total',
    'Room lines delivered from the stream (a gap filled) rather than as published',
    [],
    (s) => [[{}, backplane(s).linesFilled]],
  );
  counter(
    'switchboard_backplane_lines_lost_total',
    'Room lines a node could not deliver (trimmed, or lost by Redis); their rooms were told',
    [],
    (s) => [[{}, backplane(s).lost]],
  );
  counter(
    'switchboard_backplane_timeouts_total',
    'Backplane commands that got no answer within the timeout',
    [],
    (s) => [[{}, backplane(s).timeouts]],
  );
  counter(
    'switchboard_backplane_refused_total',
    'Lines and commands refused at once while the backplane was down (senders told)',
    [],
    (s) => [[{}, backplane(s).refused]],
  );
  gauge(
    'switchboard_backplane_lag_seconds',
    'How long numbering a room line takes (publish to answer), a moving average over ~100 lines',
    [],
    (s) => [[{}, backplane(s).lagMs / 1000]],
    'max',
  );
  gauge(
    'switchboard_backplane_pending',
    "Lines awaiting their numbers from the backplane: behind their room's call, or sent and not answered",
    [],
    (s) => [[{}, backplane(s).pending]],
  );

  // ---- chat ----------------------------------------------------------------------------------
  const chats = (s: ServerStats): readonly ServiceStats[] => s.services.filter((x) => x.service === 'chat');
  const chatSum =
    (pick: (h: ServiceStats) => number): Series =>
    (s) => [[{}, chats(s).reduce((n, h) => n + pick(h), 0)]];
  const chatMax =
    (pick: (h: ServiceStats) => number): Series =>
    (s) => [[{}, chats(s).reduce((n, h) => Math.max(n, pick(h)), 0)]];

  gauge(
    'switchboard_chat_members',
    'Chat members connected',
    [],
    chatSum((h) => h.members),
  );
  gauge(
    'switchboard_chat_rooms',
    'Chat rooms, lobby included',
    [],
    chatSum((h) => h.rooms),
  );
  counter('switchboard_chat_disconnects_total', 'Chat members gone, by reason', ['reason'], (s) => {
    const byReason = new Map<string, number>();
    for (const h of chats(s))
      for (const [r, n] of Object.entries(h.disconnects)) byReason.set(r, (byReason.get(r) ?? 0) + n);
    return [...byReason].map(([reason, n]) => [{ reason }, n] as const);
  });
  counter(
    'switchboard_chat_stalls_total',
    'Times a sender was held back for a congested recipient',
    [],
    chatSum((h) => h.stalls),
  );
  counter(
    'switchboard_chat_stalled_seconds_total',
    'Time senders were held back, summed',
    [],
    chatSum((h) => h.stalledMs / 1000),
  );
  gauge(
    'switchboard_chat_longest_stall_seconds',
    'Longest single hold of a sender since start',
    [],
    chatMax((h) => h.longestStallMs / 1000),
    'max',
  );
  counter(
    'switchboard_chat_over_budget_total',
    'Congested writes that held nobody back: the recipient had stopped reading',
    [],
    chatSum((h) => h.overBudget),
  );
  counter(
    'switchboard_chat_flood_delays_total',
    'Lines delayed because their sender was over the flood rate',
    [],
    chatSum((h) => h.floodDelays),
  );
  counter(
    'switchboard_chat_deliveries_total',
    'Room lines (messages, join and leave notices) queued for members, one per recipient',
    [],
    chatSum((h) => h.deliveries),
  );
  counter(
    'switchboard_chat_not_sent_total',
    'Lines refused to their senders because the backplane could not number them (each sender told)',
    [],
    chatSum((h) => h.notSent),
  );
  gauge(
    'switchboard_chat_max_member_queue_bytes',
    'The most any chat member socket holds unsent now (disconnected past maxQueue)',
    [],
    chatMax((h) => h.maxMemberQueueBytes),
    'max',
  );

  // AggregatorRegistry asks a worker's registry for getMetricsAsJSON(): one snapshot for it too.
  const asJson = registry.getMetricsAsJSON.bind(registry);
  registry.getMetricsAsJSON = async () => {
    snapshot = read();
    try {
      return await asJson();
    } finally {
      snapshot = undefined;
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      snapshot = read();
      try {
        return await registry.metrics();
      } finally {
        snapshot = undefined;
      }
    },
  };
}
