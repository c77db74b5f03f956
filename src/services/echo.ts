import type { Service } from './service.js';

/** `echo`: replies with the message unchanged. */
export function echoService(): Service {
  return { name: 'echo', onMessage: (message) => message };
}
