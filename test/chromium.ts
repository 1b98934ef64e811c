/**
 * Which Chromium the browser tests drive, so that `npm install && npm test` is the whole
 * set-up: CHROMIUM_PATH when set, else Debian's /usr/bin/chromium when installed, else the
 * headless Chromium shipped inside the npm package @sparticuz/chromium (unpacked into the
 * temp directory on first use, a few seconds). Never a silent skip: when none can be had, the
 * browser tests fail saying why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export interface ChromiumChoice {
  executablePath: string;
  /** Where it came from, for the test log. */
  source: string;
}

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist`);
    return { executablePath: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' };
  }
  if (existsSync(DEBIAN_CHROMIUM)) return { executablePath: DEBIAN_CHROMIUM, source: "Debian's chromium package" };
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return { executablePath: await packaged.executablePath(), source: '@sparticuz/chromium (npm)' };
  } catch (err) {
    throw new Error(
      `no Chromium for the browser tests: CHROMIUM_PATH is unset, ${DEBIAN_CHROMIUM} is missing, and @sparticuz/chromium could not be unpacked (${(err as Error).message})`,
    );
  }
}

/** Chromium for the browser tests: headless, without the background traffic a test never wants. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: (await findChromium()).executablePath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
