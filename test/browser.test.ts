/**
 * The web client in a real Chromium (found by test/chromium.ts, driven by playwright-core) against the real
 * server: two people sign up, meet in a room, chat, leave, reload, and ride out a server
 * restart, all under the page's Content-Security-Policy; the room list comes in pages; and
 * refusals with a wait (too many failed sign-ins, too many new rooms), each from a server of
 * its own with that limit set, show the reason and when to try again. Screenshots go to
 * test/artifacts/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';
import { newDataDir } from './db-template.js';
import { launchChromium } from './chromium.js';
import { openRoomByAddress } from './browser-steps.js';
import { freePort } from '../server/store/embedded-db.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));
const ROOM = 'browser-lounge';

let dataDir: string;
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Any alert/confirm a page opens: a message body must never manage to. */
const dialogs: string[] = [];
/** Every `securitypolicyviolation` any page met, with the page. */
const cspViolations: Array<{ page: Page; report: string }> = [];
const violationsOf = (page: Page) => cspViolations.filter((v) => v.page === page).map((v) => v.report);
const CSP_REPORT = 'csp-violation: ';

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = newDataDir('parley-browser-');
  // A fixed port (not 0): the restart test listens again on it, and uSockets only sets
  // SO_REUSEADDR for a non-zero port.
  server = await startTestServer({ PORT: String(await freePort()) }, { dataDir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1280, height: 800 }, baseURL = server.url): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL });
  contexts.push(context);
  // Before any of the page's own scripts: report each CSP violation on the console.
  await context.addInitScript((prefix) => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) => console.error(`${prefix}${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`),
      true,
    );
  }, CSP_REPORT);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith(CSP_REPORT)) cspViolations.push({ page, report: m.text().slice(CSP_REPORT.length) });
  });
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
    await openRoomByAddress(alice, ROOM);
    await openRoomByAddress(bob, ROOM);
    await expect.poll(() => members(alice).innerText(), { timeout: 10_000 }).toContain('bob_b');
    await expect.poll(() => members(bob).innerText(), { timeout: 10_000 }).toContain('alice_b');
    await expect.poll(() => status(alice).getAttribute('data-state')).toBe('connected');
    // The sidebar agrees with the members panel, pushed rather than polled: bob signed up
    // after alice's lists loaded. 4 s is less than either old poll period (5 s, 10 s).
    for (const [page, other] of [[alice, 'bob_b'], [bob, 'alice_b']] as const) {
      const person = page.getByRole('list', { name: 'People' }).getByRole('button', { name: new RegExp(`${other}\\W*online`) });
      await expect.poll(() => person.count(), { timeout: 4000 }).toBe(1);
      const room = page.getByRole('region', { name: 'All rooms', exact: true }).getByRole('link', { name: new RegExp(`${ROOM}\\W*2 online`) });
      await expect.poll(() => room.count(), { timeout: 4000 }).toBe(1);
    }
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
    await openRoomByAddress(phone, ROOM);
    await expect.poll(() => messages(phone).innerText(), { timeout: 10_000 }).toContain('while you were away 2');
    // Nothing may stick out sideways at phone width.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await phone.screenshot({ path: join(ARTIFACTS, 'room-phone.png') });
  });

  it('lists the rooms a page at a time: 100 at first, the rest after "More rooms", and new ones as they are made', async () => {
    const maker = new Client(server.url);
    await maker.signup('roommaker_b');
    const names = Array.from({ length: 130 }, (_, i) => `page-room-${String(i).padStart(3, '0')}`);
    const far = names[names.length - 1]!;
    for (let i = 0; i < names.length; i += 10) {
      const created = await Promise.all(
        names.slice(i, i + 10).map((name) => maker.post('/api/rooms', name === far ? { name, topic: 'Found beyond the first page' } : { name })),
      );
      expect(created.map((r) => r.status)).toEqual(created.map(() => 201));
    }
    // Every public room there is now (the flow above made one too), all on one page of 500.
    const all = await maker.get<{ rooms: Array<{ name: string; kind: string }>; next: string | null }>('/api/rooms?limit=500');
    expect(all.body.next).toBeNull();
    const total = all.body.rooms.filter((r) => r.kind === 'public').length;
    expect(total).toBeGreaterThanOrEqual(130);

    const page = await newPage();
    const pagesAsked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/rooms' && url.searchParams.has('after')) pagesAsked.push(url.searchParams.get('after')!);
    });
    await signUp(page, 'pager_b');
    // The open room is on the second page: its topic comes from GET /api/rooms/:name.
    await page.goto(`/r/${far}`);
    const rooms = page.getByRole('region', { name: 'All rooms', exact: true });
    const more = rooms.getByRole('button', { name: 'More rooms' });
    // The first page's 100, and the open room: joining made the reader a member, and their
    // own rooms are listed wherever their names fall.
    await expect.poll(() => rooms.getByRole('link').count(), { timeout: 10_000 }).toBe(101);
    expect(await more.isVisible()).toBe(true);
    await expect.poll(() => page.locator('parley-room .subtitle').innerText(), { timeout: 10_000 }).toBe('Found beyond the first page');
    expect(await page.title()).toBe(`#${far} · Parley`);
    await more.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'rooms-more.png') });

    await more.click();
    await expect.poll(() => rooms.getByRole('link').count(), { timeout: 10_000 }).toBe(total);
    const listed = await rooms.getByRole('link').allInnerTexts();
    for (const name of names) expect(listed.map((t) => t.trim().replace(/^#\s*/, '').split(/\s/)[0])).toContain(name);
    expect(await more.count()).toBe(0);
    expect(await rooms.locator('a[aria-current="page"]').innerText()).toContain(far);
    // A room made now is pushed to the list (`directory`), which keeps both pages and loads
    // none of them again: nothing polls.
    const asked = pagesAsked.length;
    const late = `${far}-late`;
    expect((await maker.post('/api/rooms', { name: late })).status).toBe(201);
    await expect.poll(() => rooms.getByRole('link').count(), { timeout: 10_000 }).toBe(total + 1);
    expect(await rooms.getByRole('link', { name: late }).count()).toBe(1);
    expect(pagesAsked.length).toBe(asked);
  }, 60_000);

  it('breaks none of the page\'s Content-Security-Policy', async () => {
    const probe = await newPage();
    const res = await probe.goto('/');
    const policy = res?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    // The listener hears a violation when there is one: an inline script is refused.
    await probe.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.probed = true';
      document.body.append(script);
    });
    await expect.poll(() => violationsOf(probe).length).toBe(1);
    expect(await probe.evaluate(() => 'probed' in window)).toBe(false);
    // Not one in all the pages of the flow above.
    expect(cspViolations.filter((v) => v.page !== probe).map((v) => v.report)).toEqual([]);
  });
});

describe('when the server says to wait', { timeout: 90_000 }, () => {
  /** A server of its own with `env`'s limits, and a page on it; both gone after `body`. */
  async function withLimitedServer(env: Record<string, string>, body: (page: Page, limited: TestServer) => Promise<void>): Promise<void> {
    const limited = await startTestServer(env);
    const page = await newPage(undefined, limited.url);
    try {
      await body(page, limited);
      expect(violationsOf(page)).toEqual([]);
    } finally {
      await page.context().close();
      await limited.cleanup();
    }
  }

  it('shows a sign-in refused for too many failures, with when to try again', async () => {
    await withLimitedServer({ LIMIT_LOGIN_PAIR: '2/300' }, async (page, limited) => {
      await new Client(limited.url).signup('paused_b');
      await page.goto('/');
      await page.getByLabel('Username').fill('paused_b');
      await page.getByLabel('Password').fill('not the password');
      const alert = page.getByRole('alert');
      for (const expected of [401, 401, 429]) {
        const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        expect((await answer).status()).toBe(expected);
        await expect.poll(() => alert.innerText()).toMatch(expected === 401 ? /wrong username or password/ : /too many failed sign-ins/);
      }
      // LIMIT_LOGIN_PAIR 2/300 gives one more try every 150 s, counted from the first failure.
      const text = await alert.innerText();
      expect(text).toContain('this account or address is paused');
      expect(text).toMatch(/Try again in [12] min( \d{1,2} s)?\./);
      expect(text).not.toMatch(/retry in \d+ s/);
      expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('false');
      // It counts down.
      await expect.poll(() => alert.innerText(), { timeout: 3000 }).not.toBe(text);
      await page.screenshot({ path: join(ARTIFACTS, 'sign-in-rate-limited.png') });
    });
  });

  it('shows a new room refused for too many new rooms in the room view, with when Parley tries again', async () => {
    await withLimitedServer({ LIMIT_ROOM_CREATE: '1/3600' }, async (page, limited) => {
      await new Client(limited.url).signup('neighbour_b');
      await signUp(page, 'founder_b');
      await openRoomByAddress(page, 'first-new-room');
      await expect.poll(() => messages(page).innerText(), { timeout: 10_000 }).toContain('Welcome to #first-new-room');
      await page.getByLabel('Room name').fill('another-new-room');
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      const refusal = page.locator('parley-room').getByRole('alert');
      await expect.poll(() => refusal.innerText(), { timeout: 10_000 }).toContain('This room cannot be opened just now.');
      const text = await refusal.innerText();
      expect(text).toContain('too many new rooms');
      expect(text).toMatch(/Trying again in (1 h|60 min|59 min)\./);
      expect(new URL(page.url()).pathname).toBe('/r/another-new-room');
      expect(await page.getByLabel('Message', { exact: true }).isVisible()).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'room-rate-limited.png') });
      // A direct conversation is a new room too: POST /api/dms answers 429 with Retry-After.
      await page.getByRole('button', { name: /neighbour_b/ }).click();
      const people = page.locator('parley-contacts').getByRole('alert');
      await expect.poll(() => people.innerText(), { timeout: 10_000 }).toContain('too many new rooms');
      expect(await people.innerText()).toMatch(/Try again in (1 h|60 min|59 min)\./);
      await page.locator('parley-sidebar').screenshot({ path: join(ARTIFACTS, 'direct-rate-limited.png') });
      // The room already made opens as before.
      await page.goto('/r/first-new-room');
      await expect.poll(() => messages(page).innerText(), { timeout: 10_000 }).toContain('Welcome to #first-new-room');
    });
  });
});
