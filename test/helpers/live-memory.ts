import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The test process's own collector, to measure what is kept rather than what is not collected yet.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap and buffer memory still reachable after a full collection. */
export function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
