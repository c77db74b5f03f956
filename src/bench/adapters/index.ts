import type { FanoutAdapterName } from '../options.js';
import type { FanoutAdapter } from './adapter.js';
import { lineRelayAdapter } from './line-relay.js';
import { natsAdapter } from './nats.js';
import { socketIoAdapter } from './socket-io.js';
import { switchboardChatAdapter } from './switchboard-chat.js';

export type { BenchLink, FanoutAdapter } from './adapter.js';

export function fanoutAdapter(name: FanoutAdapterName): FanoutAdapter {
  switch (name) {
    case 'switchboard':
      return switchboardChatAdapter;
    case 'line':
    case 'ncat':
      return lineRelayAdapter(name);
    case 'nats':
      return natsAdapter;
    case 'socketio':
      return socketIoAdapter;
  }
}
