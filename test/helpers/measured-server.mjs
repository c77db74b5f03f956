// A real switchboard server in a child process whose memory a test can read without GC noise:
// `node --expose-gc measured-server.mjs SPEC...` prints `listening PORT...`, and answers each
// `measure` line on stdin with one JSON line of process.memoryUsage() taken after a full GC.
// (RSS read from outside includes garbage V8 has not collected yet — it collects Buffers lazily,
// up to a 64 MB external-memory soft limit — and memory malloc keeps after freeing: it says how
// much the process touched, not what the server keeps.)
import { createInterface } from 'node:readline';
import { serve } from '../../dist/index.js';

const server = await serve(process.argv.slice(2));
console.log(`listening ${server.listeners.map((l) => l.port).join(' ')}`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'measure') continue;
  // Buffers are freed by a background sweeper after a GC: collect, let it run, collect again.
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  globalThis.gc?.();
  console.log(JSON.stringify(process.memoryUsage()));
}
await server.close();
