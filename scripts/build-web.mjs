// Builds the web chat page (DESIGN §6) into dist/web/page/: app.ts and what it imports (the chat
// protocol module, the backoff) bundled into one app.js by esbuild, plus the static files.
// One bundled file, not tsc's one-file-per-module output: the server then serves a fixed list of
// four files, and the browser never fetches src/hub/… paths the static server would have to allow.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';

const out = new URL('../dist/web/page/', import.meta.url);
const src = new URL('../src/web/page/', import.meta.url);
await mkdir(out, { recursive: true });
await build({
  entryPoints: [new URL('app.ts', src).pathname],
  outfile: new URL('app.js', out).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css', 'favicon.svg']) {
  await copyFile(new URL(file, src), new URL(file, out));
}
