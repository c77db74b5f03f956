import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./measured-server.mjs', import.meta.url));

export interface MeasuredServer {
  readonly pid: number;
  /** Ports of the listeners, in the order given. */
  readonly ports: number[];
  /** process.memoryUsage() of the server after a full garbage collection. */
  measure(): Promise<NodeJS.MemoryUsage>;
}

/** Start `serve(specs)` in a child process (the built library); killed when the test ends. */
export async function measuredServer(specs: string[]): Promise<MeasuredServer> {
  const child = spawn(process.execPath, ['--expose-gc', SCRIPT, ...specs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`measured server exited ${String(code)} before listening`);
    }),
  ]);
  const ports = String(first.value).replace('listening ', '').split(' ').map(Number);
  return {
    pid: child.pid!,
    ports,
    async measure() {
      child.stdin.write('measure\n');
      const { value } = await lines.next();
      return JSON.parse(String(value)) as NodeJS.MemoryUsage;
    },
  };
}
