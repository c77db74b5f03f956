import { UnknownServiceError } from '../errors.js';
import { createChatService } from '../hub/chat-service.js';
import { echoService } from '../services/echo.js';
import type { ServiceFactory } from '../services/service.js';
import { timeService } from '../services/time.js';
import { upperService } from '../services/upper.js';

/** The services `switchboard serve` knows by name. */
export const BUILTIN_SERVICES: Readonly<Record<string, ServiceFactory>> = {
  upper: () => upperService(),
  echo: () => echoService(),
  time: () => timeService(),
  chat: (params) => createChatService(params),
};

export function findService(
  name: string,
  extra: Readonly<Record<string, ServiceFactory>> = {},
): ServiceFactory {
  const factory = extra[name] ?? BUILTIN_SERVICES[name];
  if (factory === undefined) {
    throw new UnknownServiceError(name, [...Object.keys(BUILTIN_SERVICES), ...Object.keys(extra)]);
  }
  return factory;
}
