/**
 * Wait until `done()` holds, checking every 20 ms; fail after `timeoutMs`, saying what was awaited
 * and, if given, how far it got (`progress()`, e.g. "412 of 900").
 */
export async function until(
  what: string,
  done: () => boolean,
  timeoutMs = 5_000,
  progress?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not after ${timeoutMs} ms${progress === undefined ? '' : ` (${progress()})`}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
