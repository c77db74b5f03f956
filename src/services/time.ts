import type { Service } from './service.js';

/**
 * `time`: replies to any message with the server time in ISO 8601. A raw stream has no message
 * boundary, so there the reply ends with a newline, as a person on `nc` expects.
 */
export function timeService(now: () => Date = () => new Date()): Service {
  return {
    name: 'time',
    onMessage: (_message, session) => {
      const stamp = now().toISOString();
      return session.framing === 'raw' ? `${stamp}\n` : stamp;
    },
  };
}
