/**
 * Builds the web client with Vite when dist/web is missing or older than its sources, so
 * `npm start` on a fresh clone serves the current client. Vite is a dev dependency: an
 * install without it (the Docker image) serves the dist it was built with.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = [join(ROOT, 'web-components'), join(ROOT, 'server/protocol'), join(ROOT, 'vite.config.ts')];
const BUILT = join(ROOT, 'dist/web/index.html');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function clientIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

export async function ensureClientBuilt(log: (m: string) => void): Promise<void> {
  if (!clientIsStale()) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    if (existsSync(BUILT)) return log('web client sources changed but Vite is not installed: serving the existing build');
    throw new Error('the web client is not built and Vite is not installed: run npm install, then npm run build');
  }
  log('building the web client (Vite)…');
  await vite.build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
