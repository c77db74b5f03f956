import type { FanoutAdapter } from './adapter.js';

const LF = Buffer.from('\n');

/**
 * switchboard's chat hub (DESIGN §6): everyone joins a room of its own for the run, so history and
 * traffic of other runs never mix in; a relayed line arrives as `<nick> body`. Over WebSocket
 * (`chat@ws://`) the same lines travel one per text message, without the newline.
 */
export const switchboardChatAdapter: FanoutAdapter = {
  name: 'switchboard',
  websocket: { path: (p) => p, framing: 'lines', binary: false },
  setup: (socket, _role, room) => {
    socket.write(`/join ${room}\n`);
  },
  encode: (body) => Buffer.concat([body, LF]),
  onControlLine: () => undefined,
};
