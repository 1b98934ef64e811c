/**
 * The web client in a real Chromium (Debian's, driven by playwright-core) against the real
 * server: two people sign up, meet in a room, chat, leave, reload, and ride out a server
 * restart. Screenshots of the room view go to test/artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';
import { freePort } from '../server/store/embedded-db.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOM = 'browser-lounge';

let dataDir: string;
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Any alert/confirm a page opens: a message body must never manage to. */
const dialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
  // A fixed port (not 0): the restart test listens again on it, and uSockets only sets
  // SO_REUSEADDR for a non-zero port.
  server = await startTestServer({ PORT: String(await freePort()) }, { dataDir });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

async function signUp(page: Page, name: string): Promise<void> {
  await page.goto('/');
  const signUpButton = page.getByRole('button', { name: 'Sign up', exact: true });
  // The form opens in sign-in mode: switch to sign-up when its submit button is not shown.
  if (!(await signUpButton.isVisible())) await page.getByRole('button', { name: /sign up|create an account/i }).first().click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
}

const members = (page: Page) => page.getByRole('region', { name: 'Online members' });
const messages = (page: Page) => page.getByRole('log', { name: 'Messages' });
const status = (page: Page) => page.locator('[role="status"][data-state]').first();

async function send(page: Page, body: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(body);
  await box.press('Enter');
}

describe('the web client', () => {
  let alice: Page;
  let bob: Page;

  it('lets two people sign up and meet in a room, each seeing the other online', async () => {
    alice = await newPage();
    bob = await newPage();
    await signUp(alice, 'alice_b');
    await signUp(bob, 'bob_b');
    await alice.goto(`/r/${ROOM}`);
    await bob.goto(`/r/${ROOM}`);
    await expect.poll(() => members(alice).innerText(), { timeout: 10_000 }).toContain('bob_b');
    await expect.poll(() => members(bob).innerText(), { timeout: 10_000 }).toContain('alice_b');
    await expect.poll(() => status(alice).getAttribute('data-state')).toBe('connected');
  });

  it('delivers a message to the other without a reload', async () => {
    await send(alice, 'hello from alice');
    await expect.poll(() => messages(bob).innerText(), { timeout: 10_000 }).toContain('hello from alice');
    await expect.poll(() => alice.locator('.message[data-pending]').count()).toBe(0);
  });

  it('renders a body as text: markup stays inert', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    await send(bob, xss);
    await expect.poll(() => messages(alice).innerText(), { timeout: 10_000 }).toContain(xss);
    expect(await messages(alice).locator('img').count()).toBe(0);
    expect(await messages(bob).locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('makes http(s) links clickable with noopener noreferrer, and nothing else', async () => {
    await send(alice, 'see https://example.com/page and javascript:alert(1)');
    const link = messages(bob).locator('a[href="https://example.com/page"]');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await link.getAttribute('rel')).toContain('noreferrer');
    expect(await messages(bob).locator('a[href^="javascript"]').count()).toBe(0);
  });

  it('keeps the history across a reload and stays in the room', async () => {
    await bob.reload();
    expect(new URL(bob.url()).pathname).toBe(`/r/${ROOM}`);
    await expect.poll(() => messages(bob).innerText(), { timeout: 10_000 }).toContain('hello from alice');
  });

  it('drops someone from the members panel when they close their page', async () => {
    await bob.close();
    await expect.poll(() => members(alice).innerText(), { timeout: 10_000 }).not.toContain('bob_b');
  });

  it('shows "reconnecting" while the server is down, then shows what was sent meanwhile', async () => {
    const port = server.port;
    await server.stop();
    await expect.poll(() => status(alice).getAttribute('data-state'), { timeout: 10_000 }).toMatch(/reconnecting|connecting/);
    expect(await status(alice).innerText()).toMatch(/reconnecting|connecting/i);
    server = await startTestServer({ PORT: String(port) }, { dataDir });
    const publisher = new Client(server.url);
    await publisher.signup('herald_b');
    for (const body of ['while you were away 1', 'while you were away 2']) {
      const r = await publisher.post(`/api/rooms/${ROOM}/messages`, { body });
      expect(r.status).toBe(201);
    }
    await expect.poll(() => status(alice).getAttribute('data-state'), { timeout: 30_000 }).toBe('connected');
    await expect.poll(() => messages(alice).innerText(), { timeout: 10_000 }).toContain('while you were away 2');
    const text = await messages(alice).innerText();
    expect(text.indexOf('while you were away 1')).toBeLessThan(text.indexOf('while you were away 2'));
  }, 60_000);

  it('writes screenshots of the room view at desktop and phone width', async () => {
    await alice.screenshot({ path: join(ARTIFACTS, 'room-desktop.png') });
    const phone = await newPage({ width: 375, height: 740 });
    await signUp(phone, 'carol_b');
    await phone.goto(`/r/${ROOM}`);
    await expect.poll(() => messages(phone).innerText(), { timeout: 10_000 }).toContain('while you were away 2');
    // Nothing may stick out sideways at phone width.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await phone.screenshot({ path: join(ARTIFACTS, 'room-phone.png') });
  });
});
