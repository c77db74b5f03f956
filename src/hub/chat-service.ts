import { InvalidOptionError } from '../errors.js';
import type { Service, ServiceParams } from '../services/service.js';
import { foreignProtocolOfFirstBytes } from './foreign-protocol.js';
import { Hub } from './hub.js';
import { ChatListener } from './listener.js';
import { chatOptionsFrom, type ChatOptions } from './options.js';
import { offerPage } from '../transports/http-host.js';
import { staticPageHandler } from '../web/static-files.js';

/** `?hub=NAME`: 1–32 letters, digits, `_` or `-`. */
const HUB_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** Named hubs of this process, with how many listeners use each. */
const sharedHubs = new Map<string, { hub: Hub; listeners: number }>();

/** The options a hub has as a whole; the others are each listener's own. */
const HUB_WIDE = [
  ['history', 'history'],
  ['recover', 'recover'],
  ['announceLimit', 'announce'],
] as const satisfies ReadonlyArray<readonly [keyof ChatOptions, string]>;

function acquireHub(name: string, options: ChatOptions): Hub {
  if (!HUB_NAME.test(name)) {
    throw new InvalidOptionError(
      `chat: hub=${name} is not a valid hub name; use 1-32 letters, digits, _ or -`,
    );
  }
  const shared = sharedHubs.get(name);
  if (shared === undefined) {
    const hub = new Hub(options);
    sharedHubs.set(name, { hub, listeners: 1 });
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

function releaseHub(name: string): void {
  const shared = sharedHubs.get(name);
  if (shared !== undefined && --shared.listeners === 0) sharedHubs.delete(name);
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
  const name = params.take('hub');
  const hub = name === undefined ? new Hub(options) : acquireHub(name, options);
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
    shutdown: () => {
      const first = !listener.closing;
      hub.shutdown(listener);
      if (first && name !== undefined) releaseHub(name);
    },
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
