/**
 * Once before the suites: builds the web client, as `npm start` would, and makes the
 * template database every test server starts from (test/db-template.ts).
 */
import { ensureClientBuilt } from '../server/web-build.js';
import { makeDbTemplate, removeDbTemplate } from './db-template.js';

export default async function setup(): Promise<() => Promise<void>> {
  await ensureClientBuilt(() => {});
  const template = await makeDbTemplate();
  return async () => removeDbTemplate(template);
}
