/** switchboard's public API: servers, clients, codecs and their types. */
export { serve, DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './server/serve.js';
export type {
  Server,
  ServeOptions,
  ListenerSpec,
  ListenerInfo,
  ListenerStats,
  ServerStats,
  MetricsAddress,
} from './server/serve.js';
export { startWorkers, serveWorker } from './server/workers.js';
export type {
  WorkerPool,
  WorkersOptions,
  WorkerInfo,
  WorkerServeOptions,
  WorkerStatsReport,
} from './server/workers.js';
// The metrics endpoint itself is started by serve({ metrics }), which loads prom-client only then.
export type { Varz, VarzListener, VarzChat, VarzWorker } from './metrics/varz.js';
export type { Health } from './metrics/health.js';
export { BUILTIN_SERVICES } from './server/service-registry.js';

export { createCodec, isFramingName } from './framing/registry.js';
export { rawCodec } from './framing/raw.js';
export { lineCodec, LineDecoder } from './framing/line.js';
export { lengthPrefixedCodec, LengthPrefixedDecoder } from './framing/length-prefixed.js';
export { DEFAULT_MAX_FRAME, DEFAULT_MAX_LINE, FRAMING_NAMES } from './framing/codec.js';
export type { Codec, CodecName, Decoder, FramingName, FramingOptions } from './framing/codec.js';
export { messageCodec } from './session/message-codec.js';

export { upperService, upperAsciiBytes, upperText } from './services/upper.js';
export { echoService } from './services/echo.js';
export { timeService } from './services/time.js';
export type {
  CloseReason,
  MessageHandler,
  Reply,
  Service,
  ServiceFactory,
  ServiceParams,
  Session,
  SessionFraming,
  ServiceStats,
  TransportName,
} from './services/service.js';

export { parseEndpoint, formatEndpoint } from './transports/endpoint.js';
export type { Endpoint } from './transports/endpoint.js';
export { TRANSPORT_NAMES } from './transports/transport.js';
export type { BoundAddress, TransportKind } from './transports/transport.js';

export * from './errors.js';
export { createLogger } from './log.js';
export type { Logger } from './log.js';

export { connect, Client, DEFAULT_INBOX_LIMIT, DEFAULT_REQUEST_TIMEOUT_MS } from './client/client.js';
export type { ClientOptions, ClientEvents } from './client/client.js';
export type { BackoffOptions } from './client/backoff.js';

export { runBench, formatResult, formatJson } from './bench/index.js';
export type {
  BenchOptions,
  BenchResult,
  BenchErrors,
  RequestReplyResult,
  FanoutResult,
  LatencySummary,
  CpuUsage,
} from './bench/index.js';
export { findServerProcess, GENERATOR_SATURATED_PERCENT } from './bench/index.js';
export type { ServerCpuUsage, ServerAddress, ServerProcessLookup } from './bench/index.js';

// The chat hub and what it runs on (DESIGN §6, §8): `new Hub(options, backplane.hub(name, …))`, or
// `serve(specs, { backplane })` for chat listeners.
export { Hub } from './hub/hub.js';
export type { HubStats } from './hub/hub.js';
export type { ChatOptions } from './hub/options.js';
export { createBackplane, MemoryBackplane, RoomLog } from './backplane/index.js';
export { RedisBackplane, redisBackplaneOptions } from './backplane/redis.js';
export type { RedisBackplaneOptions } from './backplane/redis.js';
export type {
  Backplane,
  BackplaneEvents,
  BackplaneStats,
  HubBackplane,
  HubBackplaneOptions,
  NickOwner,
  NodeMessage,
  RemoteMember,
  RoomLine,
  RoomSnapshot,
  SequencedLine,
} from './backplane/backplane.js';

// A chat client's half of resume (docs/chat.md, "Resume"), and the chat protocol's text.
export { ResumeTracker } from './client/resume.js';
export type { ResumeStep, RoomPosition } from './client/resume.js';
export { NickReclaim } from './client/nick-reclaim.js';
export type { NickReclaimOptions } from './client/nick-reclaim.js';
export { parseLine, parseSelfNotice } from './hub/protocol.js';
export type { ChatLine, SelfNotice } from './hub/protocol.js';
