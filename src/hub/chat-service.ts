import type { Service, ServiceParams } from '../services/service.js';
import { Hub } from './hub.js';
import { chatOptionsFrom } from './options.js';

/**
 * `chat`: a group-chat hub over line framing (DESIGN §6), usable from `nc`. Each listener has its
 * own hub; options come from the listener URL (`?flood=0&history=50`, see ChatOptions).
 */
export function createChatService(params: ServiceParams): Service {
  const hub = new Hub(chatOptionsFrom(params));
  return {
    name: 'chat',
    defaultFraming: 'line',
    datagrams: false,
    onOpen: (session) => hub.open(session),
    onMessage: (message, session) => hub.message(session, message),
    onClose: (session, reason) => hub.close(session, reason),
    shutdown: () => hub.shutdown(),
  };
}
