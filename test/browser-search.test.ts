/**
 * Message search in a real Chromium against the real server: alice fills a room with 150
 * messages (one early one about a flamingo) and tells carol about a flamingo in a direct
 * conversation; bob, in neither conversation, searches "flam" from the top bar. He finds the
 * public message only, with its room, author, time and the messages around it; choosing it
 * opens the room scrolled back to that message, marked as the jump target. Also: a search
 * that finds nothing says so, results come a page at a time, and the panel works from the
 * keyboard and at phone width. Screenshots go to test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, until, type TestServer } from './harness.js';
import { launchChromium } from './chromium.js';
import { openRoomByAddress } from './browser-steps.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));
const ROOM = 'birdwatch';
const TOTAL = 150;
/** Where in the room the flamingo message is: far older than the last page of history (50). */
const FLAMINGO_AT = 5;
const FLAMINGO_BODY = 'Spotted a Flamingo by the lake this morning';

let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let bobCookie: string;
let flamingo: { id: number; seq: number; at: number };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // alice posts 150 messages as fast as HTTP goes: lift the per-user send rate for this server.
  server = await startTestServer({ SEND_RATE: '100000', SEND_BURST: '1000000' });
  browser = await launchChromium();

  const alice = new Client(server.url);
  const bob = new Client(server.url);
  const carol = new Client(server.url);
  await alice.signup('alice');
  await bob.signup('bob');
  await carol.signup('carol');
  bobCookie = bob.cookie!;

  expect((await alice.post('/api/rooms', { name: ROOM })).status).toBe(201);
  // One after another, so seq order is the order written here.
  for (let i = 1; i <= TOTAL; i++) {
    const body = i === FLAMINGO_AT ? FLAMINGO_BODY : `seagull count ${i}`;
    const r = await alice.post<{ id: number; seq: number; at: number }>(`/api/rooms/${ROOM}/messages`, { body });
    expect(r.status).toBe(201);
    if (i === FLAMINGO_AT) flamingo = r.body;
  }
  // The same word in a direct conversation bob is not part of: it must never reach him.
  const dm = await alice.post<{ room: { name: string } }>('/api/dms', { user: 'carol' });
  expect(dm.status).toBe(201);
  expect((await alice.post(`/api/rooms/${dm.body.room.name}/messages`, { body: 'carol, a flamingo secret' })).status).toBe(201);
  // The search index follows the commits by a moment (server/store/search-index.ts).
  await until(async () => (await carol.get('/api/search?q=flamingo')).body.results.length === 2, 5000, 'indexed');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

/** A page signed in as bob: his session cookie, made over HTTP, set into a fresh context. */
async function bobPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  contexts.push(context);
  const [name, ...value] = bobCookie.split('=');
  await context.addCookies([{ name: name!, value: value.join('='), url: server.url }]);
  const page = await context.newPage();
  await page.goto('/');
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
  return page;
}

const searchBox = (page: Page) => page.getByRole('searchbox', { name: 'Search messages' });
const results = (page: Page) => page.locator('parley-search').getByRole('list', { name: 'Search results' });
const panel = (page: Page) => page.locator('parley-search .panel');

/** The data-seq of the focused result, null when focus is not on one. */
function focusedSeq(page: Page): Promise<string | null> {
  return page.locator('parley-search').evaluate((el) => el.shadowRoot?.activeElement?.getAttribute('data-seq') ?? null);
}

async function search(page: Page, q: string): Promise<void> {
  await searchBox(page).fill(q);
  await searchBox(page).press('Enter');
}

/** Whether the element shows inside the viewport and inside every scrolling box around it. */
function onScreen(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    if (r.height === 0 || r.bottom <= 0 || r.top >= innerHeight) return false;
    for (let node: Node | null = el.parentNode; node; ) {
      if (node instanceof ShadowRoot) node = node.host;
      if (!(node instanceof Element)) break;
      const { overflowY } = getComputedStyle(node);
      if (overflowY === 'auto' || overflowY === 'scroll') {
        const box = node.getBoundingClientRect();
        if (r.bottom <= box.top || r.top >= box.bottom) return false;
      }
      node = node.parentNode;
    }
    return true;
  });
}

describe('message search', () => {
  it('finds the public message and not the direct one, with its room, author, time and context', async () => {
    const page = await bobPage();
    await search(page, 'flam');
    await expect.poll(() => results(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(1);
    const hit = results(page).getByRole('button');
    const text = await hit.innerText();
    expect(text).toContain(`#${ROOM}`);
    expect(text).toContain('alice');
    expect(text).toContain(FLAMINGO_BODY);
    expect(text).not.toContain('secret');
    expect(await panel(page).innerText()).not.toMatch(/carol/);
    // The query's word in bold, as text: "Flam" of "Flamingo", nothing else.
    expect(await hit.locator('mark').allInnerTexts()).toEqual(['Flam']);
    // The messages on either side, muted.
    expect(await hit.locator('.context.before').innerText()).toBe(`alice: seagull count ${FLAMINGO_AT - 1}`);
    expect(await hit.locator('.context.after').innerText()).toBe(`alice: seagull count ${FLAMINGO_AT + 1}`);
    expect(await hit.locator('time').getAttribute('datetime')).toBe(new Date(flamingo.at).toISOString());
    expect(await hit.locator('time').innerText()).toMatch(/^Today, /);
    await page.screenshot({ path: join(ARTIFACTS, 'search-results.png') });

    await hit.click();
    await expect.poll(() => panel(page).count()).toBe(0);
    await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toBe(`/r/${ROOM}`);
    // The room opens far back in its history, at that message, marked.
    const target = `.message[data-seq="${flamingo.seq}"]`;
    await expect.poll(() => page.locator(target).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator(target).evaluate((el) => el.classList.contains('jump-target')), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => onScreen(page, target), { timeout: 10_000 }).toBe(true);
    expect(await page.locator(target).innerText()).toContain(FLAMINGO_BODY);
    await page.screenshot({ path: join(ARTIFACTS, 'search-jump-target.png') });
  }, 60_000);

  it('says when nothing matches', async () => {
    const page = await bobPage();
    await search(page, 'zebra');
    await expect.poll(() => panel(page).innerText(), { timeout: 10_000 }).toContain('No messages match “zebra”.');
    expect(await results(page).count()).toBe(0);
    expect(await page.locator('parley-search [role="status"]').innerText()).toBe('No messages match “zebra”.');
  });

  it('loads results a page at a time, newest first', async () => {
    const page = await bobPage();
    const asked: Array<string | null> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/search') asked.push(url.searchParams.get('before'));
    });
    await search(page, 'SEAGULL');
    const items = results(page).getByRole('listitem');
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(20);
    expect(await items.first().innerText()).toContain(`seagull count ${TOTAL}`);
    const more = page.locator('parley-search').getByRole('button', { name: 'More results' });
    await more.click();
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(40);
    expect(asked[0]).toBeNull();
    expect(asked[1]).toMatch(/^\d+$/);
    // No result twice, and still newest first across the pages.
    const seqs = await results(page)
      .locator('.hit')
      .evaluateAll((buttons) => buttons.map((b) => Number((b as HTMLElement).dataset.seq)));
    expect(new Set(seqs).size).toBe(40);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    // Reading goes on at the first result of the new page.
    expect(await focusedSeq(page)).toBe(String(seqs[20]));
  });

  it('works from the keyboard: arrows walk the results, Escape closes, Enter chooses', async () => {
    const page = await bobPage();
    const opened: Array<{ room: string; seq: number }> = [];
    await page.exposeFunction('openedResult', (detail: { room: string; seq: number }) => opened.push(detail));
    await page.evaluate(() =>
      document.addEventListener('parley-open-result', (e) => (window as unknown as { openedResult(d: unknown): void }).openedResult((e as CustomEvent).detail)),
    );
    await search(page, 'flamingo');
    await expect.poll(() => results(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(1);
    await searchBox(page).press('ArrowDown');
    expect(await focusedSeq(page)).toBe(String(flamingo.seq));
    await page.keyboard.press('Escape');
    await expect.poll(() => panel(page).count()).toBe(0);
    // Back in the box, which keeps the words: Enter searches again, and Enter on a result chooses it.
    expect(await searchBox(page).evaluate((el) => el.matches(':focus'))).toBe(true);
    expect(await searchBox(page).inputValue()).toBe('flamingo');
    await searchBox(page).press('Enter');
    await expect.poll(() => results(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(1);
    await searchBox(page).press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => opened).toEqual([{ room: ROOM, seq: flamingo.seq }]);
    expect(await panel(page).count()).toBe(0);
  });

  it('offers "In this room" in a room, and fills the width below the top bar on a phone', async () => {
    const page = await bobPage({ width: 375, height: 740 });
    await openRoomByAddress(page, ROOM);
    const asked: Array<string | null> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/search') asked.push(url.searchParams.get('room'));
    });
    const inRoom = page.locator('parley-search').getByRole('checkbox', { name: 'In this room' });
    await search(page, 'seagull');
    await expect.poll(() => results(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(20);
    // On a phone the filter heads the panel; checking it searches again, in this room only.
    expect(await inRoom.count()).toBe(1);
    await inRoom.check();
    await expect.poll(() => asked, { timeout: 10_000 }).toEqual([null, ROOM]);
    await expect.poll(() => panel(page).locator('h2').innerText(), { timeout: 10_000 }).toBe(`Results for “seagull” in #${ROOM}`);
    await expect.poll(() => results(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(20);
    const box = await panel(page).boundingBox();
    expect(box?.x).toBe(0);
    expect(box?.width).toBe(375);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(ARTIFACTS, 'search-phone.png') });
    // A phone has no Escape key: the close button.
    await page.locator('parley-search').getByRole('button', { name: 'Close search results' }).click();
    await expect.poll(() => panel(page).count()).toBe(0);
  });
});
