/** Builds the web client once before the suites, as `npm start` would. */
import { ensureClientBuilt } from '../server/web-build.js';

export default async function setup(): Promise<void> {
  await ensureClientBuilt(() => {});
}
