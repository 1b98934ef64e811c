/** The browser tests' Chromium can always be had: the packaged one launches where Debian's is absent. */
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findChromium } from './chromium.js';

describe('findChromium', () => {
  it('prefers CHROMIUM_PATH, and refuses one that does not exist', async () => {
    await expect(findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).rejects.toThrow(/does not exist/);
    expect((await findChromium({ CHROMIUM_PATH: process.execPath })).source).toBe('CHROMIUM_PATH');
  });

  it('the Chromium from the npm package launches headless and renders a page', async () => {
    // Ask as a machine without Debian's chromium would: only the package is left.
    const { default: packaged } = await import('@sparticuz/chromium');
    const browser = await chromium.launch({ executablePath: await packaged.executablePath(), args: ['--no-sandbox', '--headless', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="x">rendered</p>');
      expect(await page.textContent('#x')).toBe('rendered');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
