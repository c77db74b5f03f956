import { Command, Option } from 'commander';
import { createBackplane } from '../backplane/index.js';
import type { Logger } from '../log.js';
import { serve, type ListenerInfo, type ServeOptions } from '../server/serve.js';
import { descriptors } from '../transports/descriptors.js';
import type { BoundAddress, TransportName } from '../transports/transport.js';
import { cliLogger } from './cli-logger.js';
import { fail } from './exit-codes.js';
import { logLevel, wholeNumber } from './options.js';

/** DESIGN §5: what `switchboard serve` runs with no listener given — loopback only, no dependencies. */
export const DEFAULT_LISTENERS: readonly string[] = [
  'upper@tcp://127.0.0.1:8088',
  'upper@udp://127.0.0.1:8088',
  // One hub for both, so nc users and browsers share rooms (DESIGN §5, §6); the ws one serves the page.
  'chat@tcp://127.0.0.1:8089?hub=default',
  'chat@ws://127.0.0.1:8090/chat?hub=default',
];

export interface ServeFlags {
  logLevel: string;
  workers?: number;
  maxConnections?: number;
  idleTimeout?: number;
  maxLine?: number;
  maxFrame?: number;
  shutdownTimeout?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsHandshakeTimeout?: number;
  messageTimeout?: number;
  maxPerAddress?: number;
  memoryBudget?: number;
  metrics?: string;
  backplane?: string;
}

/** What each transport's foreign tool is, given the listener's bound address. */
const FOREIGN_TOOL: Record<TransportName, (a: BoundAddress) => string> = {
  tcp: (a) => `nc ${a.host} ${a.port}`,
  udp: (a) => `nc -u ${a.host} ${a.port}`,
  unix: (a) => `nc -U ${a.path}`,
  tls: (a) => `openssl s_client -quiet -connect ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`,
  ws: (a) => `websocat ${a.url}`,
  wss: (a) => `websocat ${a.url}`,
};

/** How a person reaches a listener: our own client first, then the tool they already have. */
export function howToConnect(l: ListenerInfo): string {
  const framed =
    l.framing !== 'raw' && l.framing !== 'datagram' && l.framing !== 'line' && l.framing !== 'message';
  const ours =
    l.service === 'chat'
      ? `switchboard chat ${l.url}`
      : `switchboard connect ${l.url}${framed ? ` --framing ${l.framing}` : ''}`;
  if (framed) return ours;
  return `${ours}   or   ${FOREIGN_TOOL[l.address.transport](l.address)}`;
}

/** DESIGN §5: the page's address, for a chat ws/wss listener that serves one (`?page=off` does not). */
export function pageUrl(l: ListenerInfo, spec: string | undefined): string | undefined {
  const { transport, host, port } = l.address;
  if (l.service !== 'chat' || (transport !== 'ws' && transport !== 'wss')) return undefined;
  const query = spec?.indexOf('?') ?? -1;
  if (
    spec !== undefined &&
    query !== -1 &&
    new URLSearchParams(spec.slice(query + 1)).get('page') === 'off'
  ) {
    return undefined;
  }
  const scheme = transport === 'wss' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** `specs[i]` is the spec `listeners[i]` was started from (serve() starts them in order). */
export function banner(listeners: readonly ListenerInfo[], specs: readonly string[] = []): string {
  const width = (pick: (l: ListenerInfo) => string): number =>
    Math.max(...listeners.map((l) => pick(l).length));
  const ws = width((l) => l.service);
  const wu = width((l) => l.url);
  const wf = width((l) => l.framing) + 2;
  const rows = listeners.map(
    (l) =>
      `  ${l.service.padEnd(ws)}  ${l.url.padEnd(wu)}  ${`(${l.framing})`.padEnd(wf)}  try: ${howToConnect(l)}`,
  );
  const pages = [
    ...new Set(listeners.map((l, i) => pageUrl(l, specs[i])).filter((u) => u !== undefined)),
  ].map((u) => `Web chat: open ${u} in a browser\n`);
  return `switchboard listening on:\n${rows.join('\n')}\n${pages.join('')}Press Ctrl-C to stop.\n`;
}

/** Below this many descriptors, the start-up log says how few connections fit. */
const LOW_DESCRIPTOR_LIMIT = 1024;

/**
 * Issue 13, item 5. Node itself raises the soft descriptor limit to the hard limit when it
 * starts (PlatformInit in node.cc), as `npm run bench` does with `ulimit -n`; what is left is the
 * hard limit, which only the environment can raise. Say so when it is low, and log running out.
 */
export function watchDescriptors(logger: Logger, warnIfLow = true): void {
  descriptors.logger = logger;
  if (!warnIfLow) return;
  const { limit, hardLimit } = descriptors.stats;
  if (limit !== undefined && limit < LOW_DESCRIPTOR_LIMIT) {
    logger.warn(
      { limit, hardLimit },
      `file descriptor limit is ${limit} (ulimit -n): at most about ${Math.max(0, limit - 32)} connections at once; ` +
        `raise the hard limit (ulimit -Hn as root, LimitNOFILE= for systemd, --ulimit nofile= for Docker) for more`,
    );
  }
}

/**
 * SIGINT, SIGTERM and SIGHUP stop gracefully: `stop` resolves with the exit code. A second signal
 * means "now": `now` runs (the primary of --workers kills its workers) and the process exits 1.
 */
export function handleSignals(stop: () => Promise<number>, logger: Logger, now?: () => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now": don't make the user wait for the deadline.
      logger.warn(`${signal} again; exiting without waiting`);
      now?.();
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: shutting down (stop accepting, flush replies, close)`);
    stop().then(
      (code) => process.exit(code),
      (err: unknown) => fail(err),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Issue 13: SIGHUP (a closed terminal, a supervisor's "reload") shuts down gracefully too, so the
  // Unix socket files are removed and members are told; there is nothing to reload in place.
  process.on('SIGHUP', onSignal);
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run one process with any number of listeners, SERVICE@URL each')
    .argument(
      '[listeners...]',
      'SERVICE@URL: services upper, echo, time, chat; transports tcp, udp, unix, tls, ws, wss',
    )
    .addOption(
      new Option('--log-level <level>', 'trace, debug, info, warn, error or silent')
        .default('info')
        .argParser(logLevel),
    )
    .option(
      '--max-connections <n>',
      'connections per listener before new ones are turned away (default 10000)',
      wholeNumber(1),
    )
    .option('--idle-timeout <ms>', 'close a connection idle this long (default 0: never)', wholeNumber(0))
    .option('--max-line <bytes>', 'longest line in line framing (default 65536)', wholeNumber(1))
    .option('--max-frame <bytes>', 'largest length-prefixed frame (default 1048576)', wholeNumber(1))
    .option(
      '--shutdown-timeout <ms>',
      'on SIGINT/SIGTERM, drop connections still open after this (default 5000)',
      wholeNumber(0),
    )
    .option(
      '--message-timeout <ms>',
      'close a connection whose begun message is not finished within this (default 60000; 0: never)',
      wholeNumber(0),
    )
    .option(
      '--max-per-address <n>',
      'connections one IP address may hold per listener (default: none on loopback, 100 elsewhere)',
      wholeNumber(0),
    )
    .option(
      '--memory-budget <bytes>',
      'partial input + unsent output of all connections before the costliest are shed (default: 1/4 of memory)',
      wholeNumber(1),
    )
    .option('--tls-cert <file>', 'tls/wss listeners without ?cert=: the PEM certificate')
    .option('--tls-key <file>', 'tls/wss listeners without ?key=: the PEM private key')
    .option(
      '--tls-handshake-timeout <ms>',
      'close a TLS connection whose handshake is not done within this (default 10000)',
      wholeNumber(1),
    )
    .option(
      '--metrics <url>',
      'serve /metrics (Prometheus), /healthz and /varz at http://HOST:PORT (e.g. http://127.0.0.1:9464)',
    )
    .option(
      '--workers <n>',
      'run N processes sharing every listener (node:cluster); chat across them goes through the first (docs/scaling.md)',
      wholeNumber(1),
    )
    .option(
      '--backplane <url>',
      'share chat rooms, nicks and order with other processes: redis://HOST:PORT[/DB] (docs/scaling.md)',
    )
    .addHelpText(
      'after',
      `
With no listener it starts ${DEFAULT_LISTENERS.join(', ')}.
URL query parameters set options per listener: framing (raw, line, len32be, len32le), maxLine,
maxFrame, maxConnections, idleTimeout (ms), messageTimeout (ms), maxPerAddress, and the
service's own (chat: see docs/chat.md). SIGINT, SIGTERM and SIGHUP shut down gracefully.
With --workers N, N processes share the listeners and chat keeps one order, history and unique
nicks across them; a worker that dies is started again; --metrics sums over the workers.

Examples:
  switchboard serve
  switchboard serve upper@tcp://127.0.0.1:2000 upper@udp://127.0.0.1:2000
  switchboard serve 'echo@tcp://127.0.0.1:9000?framing=len32be&maxFrame=65536'
  switchboard serve upper@unix:///tmp/sb.sock time@tcp://127.0.0.1:0
  switchboard serve 'chat@tcp://127.0.0.1:8089?flood=0&history=50'
  switchboard serve 'upper@tls://127.0.0.1:8443?cert=cert.pem&key=key.pem'
  switchboard serve upper@wss://127.0.0.1:8443/ --tls-cert cert.pem --tls-key key.pem
  switchboard serve chat@ws://127.0.0.1:8090/chat 'upper@ws://127.0.0.1:8090/upper?origins=*'
  switchboard serve --workers 2 'chat@tcp://127.0.0.1:8089' --metrics http://127.0.0.1:9464`,
    )
    .action(async (specs: string[], flags: ServeFlags) => {
      const listeners = specs.length > 0 ? specs : DEFAULT_LISTENERS;
      if (flags.workers !== undefined) {
        const { runWorkers } = await import('./workers.js');
        return runWorkers(listeners, flags);
      }
      const logger = await cliLogger(flags.logLevel);
      watchDescriptors(logger);
      const backplane =
        flags.backplane === undefined
          ? undefined
          : await createBackplane(flags.backplane, logger).catch(fail);
      const server = await serve(listeners, {
        ...serveOptionsFrom(flags, logger),
        ...(flags.metrics !== undefined && { metrics: flags.metrics }),
        ...(backplane !== undefined && { backplane }),
      }).catch(fail);
      handleSignals(() => server.close().then(() => 0), logger);
      process.stdout.write(banner(server.listeners, listeners));
      if (server.metrics !== undefined) process.stdout.write(metricsLine(server.metrics.url));
      if (backplane !== undefined) {
        process.stdout.write(
          `backplane: ${backplane.description} (chat rooms shared with every node on it)\n`,
        );
      }
    });
}

/** The banner's line for the metrics endpoint. */
export function metricsLine(m: string): string {
  return `metrics: ${m}/metrics  ${m}/healthz  ${m}/varz   try: switchboard top ${m}\n`;
}

/** serve()'s options from the flags (listeners, metrics and backplane aside). */
export function serveOptionsFrom(flags: ServeFlags, logger: Logger): ServeOptions {
  return {
    logger,
    ...(flags.maxConnections !== undefined && { maxConnections: flags.maxConnections }),
    ...(flags.idleTimeout !== undefined && { idleTimeoutMs: flags.idleTimeout }),
    ...(flags.maxLine !== undefined && { maxLine: flags.maxLine }),
    ...(flags.maxFrame !== undefined && { maxFrame: flags.maxFrame }),
    ...(flags.shutdownTimeout !== undefined && { shutdownTimeoutMs: flags.shutdownTimeout }),
    ...(flags.messageTimeout !== undefined && { messageTimeoutMs: flags.messageTimeout }),
    ...(flags.maxPerAddress !== undefined && { maxPerAddress: flags.maxPerAddress }),
    ...(flags.memoryBudget !== undefined && { memoryBudgetBytes: flags.memoryBudget }),
    ...(flags.tlsCert !== undefined && { tlsCert: flags.tlsCert }),
    ...(flags.tlsKey !== undefined && { tlsKey: flags.tlsKey }),
    ...(flags.tlsHandshakeTimeout !== undefined && { tlsHandshakeTimeoutMs: flags.tlsHandshakeTimeout }),
  };
}
