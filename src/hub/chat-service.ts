import type { Backplane } from '../backplane/backplane.js';
import { InvalidOptionError } from '../errors.js';
import type { Service, ServiceParams } from '../services/service.js';
import { foreignProtocolOfFirstBytes } from './foreign-protocol.js';
import { Hub } from './hub.js';
import { ChatListener } from './listener.js';
import { chatOptionsFrom, logLength, type ChatOptions } from './options.js';
import { offerPage } from '../transports/http-host.js';
import { staticPageHandler } from '../web/static-files.js';

/** `?hub=NAME`: 1–32 letters, digits, `_` or `-`. */
const HUB_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Named hubs, with how many listeners use each: per backplane (each serve() with its own backplane
 * has its own hubs), or of the process when there is none.
 */
const sharedHubs = new WeakMap<object, Map<string, { hub: Hub; listeners: number }>>();
const IN_PROCESS = {};

function hubsOf(backplane: Backplane | undefined): Map<string, { hub: Hub; listeners: number }> {
  const scope = backplane ?? IN_PROCESS;
  let hubs = sharedHubs.get(scope);
  if (hubs === undefined) {
    hubs = new Map();
    sharedHubs.set(scope, hubs);
  }
  return hubs;
}

/** The options a hub has as a whole; the others are each listener's own. */
const HUB_WIDE = [
  ['history', 'history'],
  ['recover', 'recover'],
  ['recoverBytes', 'recoverBytes'],
  ['announceLimit', 'announce'],
] as const satisfies ReadonlyArray<readonly [keyof ChatOptions, string]>;

function newHub(name: string | undefined, options: ChatOptions, backplane: Backplane | undefined): Hub {
  if (backplane === undefined || name === undefined) return new Hub(options);
  return new Hub(options, backplane.hub(name, { historyLength: logLength(options) }));
}

function acquireHub(name: string, options: ChatOptions, backplane: Backplane | undefined): Hub {
  if (!HUB_NAME.test(name)) {
    throw new InvalidOptionError(
      `chat: hub=${name} is not a valid hub name; use 1-32 letters, digits, _ or -`,
    );
  }
  const hubs = hubsOf(backplane);
  const shared = hubs.get(name);
  if (shared === undefined) {
    const hub = newHub(name, options, backplane);
    hubs.set(name, { hub, listeners: 1 });
    return hub;
  }
  for (const [key, param] of HUB_WIDE) {
    if (shared.hub.options[key] !== options[key]) {
      throw new InvalidOptionError(
        `chat: hub=${name} already runs with ${param}=${shared.hub.options[key]}, this listener asks for ` +
          `${param}=${options[key]}; give every listener of one hub the same ${param}`,
      );
    }
  }
  shared.listeners++;
  return shared.hub;
}

/** One listener fewer; true when it was the hub's last. */
function releaseHub(name: string, backplane: Backplane | undefined): boolean {
  const hubs = hubsOf(backplane);
  const shared = hubs.get(name);
  if (shared === undefined || --shared.listeners > 0) return false;
  hubs.delete(name);
  return true;
}

/**
 * `chat`: a group-chat hub over line framing (DESIGN §6), usable from `nc`. Options come from the
 * listener URL (`?flood=0&history=50`, see ChatOptions). Each listener has its own hub, unless
 * listeners name one with `?hub=NAME`: then they share its rooms and nicks (TCP and Unix members
 * in one room), each listener keeping its own flood, queue and line limits. A `chat@ws://` listener
 * also serves the web chat page at `/` of its HTTP port (src/web/), unless `?page=off`.
 */
export function createChatService(params: ServiceParams): Service {
  const options = chatOptionsFrom(params);
  const backplane = params.backplane;
  // DESIGN §8: with a backplane every chat listener is in a hub; one that names none is in `default`.
  const name = params.take('hub') ?? (backplane === undefined ? undefined : 'default');
  const hub = name === undefined ? new Hub(options) : acquireHub(name, options, backplane);
  let last = false;
  const listener = new ChatListener(options);
  // DESIGN §6: a chat@ws:// listener serves the web chat page at / of its port; ?page=off turns it off.
  // (Offered for every chat listener; only the ws/wss transports take it up.)
  const page = params.take('page') ?? 'on';
  if (page !== 'on' && page !== 'off') {
    throw new InvalidOptionError(`chat: page=${page} is not on or off; page=off serves no web page`);
  }
  if (page === 'on') offerPage(params, (webSocketPath) => staticPageHandler({ webSocketPath }));
  return {
    name: 'chat',
    defaultFraming: 'line',
    datagrams: false,
    onOpen: (session) => hub.open(session, listener),
    onMessage: (message, session) => hub.message(session, message),
    onClose: (session, reason) => hub.close(session, reason),
    onDrain: (session) => hub.drained(session),
    foreignProtocol: foreignProtocolOfFirstBytes,
    ready: () => hub.ready,
    shutdown: () => {
      const first = !listener.closing;
      hub.shutdown(listener);
      if (first) last = name === undefined || releaseHub(name, backplane);
    },
    stop: () => (last ? hub.stop() : Promise.resolve()),
    stats: () => ({
      source: hub,
      service: 'chat',
      members: hub.memberCount,
      rooms: hub.roomCount,
      maxMemberQueueBytes: hub.maxMemberQueueBytes,
      ...hub.stats,
    }),
  };
}
