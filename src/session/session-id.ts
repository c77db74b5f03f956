let last = 0;

/** Session ids, unique within the process across every listener and transport (udp included). */
export function nextSessionId(): number {
  return ++last;
}
