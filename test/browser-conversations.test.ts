/**
 * Everyday conversation features in real Chromium, with two and three people in separate
 * browser contexts against the real server: unread rooms and counts, the "new" line and the
 * tab title, mentions (badge and completion), editing and deleting (hover, Up, confirm) seen
 * live by the other person, Markdown, leaving a room, topics, the question before a new room
 * is created, a bad room address, and a new direct conversation showing up marked.
 * Screenshots go to test/artifacts/ (the README's come from there).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';
import { launchChromium } from './chromium.js';
import { openRoomByAddress, pageOf, signUpThroughForm as signUp, TEST_PASSWORD, type PageShape } from './browser-steps.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));
const ROOM = 'standup';

let server: TestServer;
let browser: Browser;
let ana: Page;
let ben: Page;
let cleo: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startTestServer();
  browser = await launchChromium();
  ana = await newPage();
  ben = await newPage();
  cleo = await newPage();
  await signUp(ana, 'ana');
  await signUp(ben, 'ben');
  await signUp(cleo, 'cleo');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

async function newPage(shape: PageShape = {}): Promise<Page> {
  const page = await pageOf(browser, server.url, shape);
  // Under the test's own timeout, so a step that fails says which one it was.
  page.setDefaultTimeout(8000);
  return page;
}


const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const yourRooms = (page: Page) => page.getByRole('region', { name: 'Your rooms' });
const message = (page: Page, text: string) => log(page).locator('.message', { hasText: text });

async function send(page: Page, body: string): Promise<void> {
  await composer(page).fill(body);
  await composer(page).press('Enter');
  await expect.poll(() => log(page).locator('[data-pending]').count(), { timeout: 10_000 }).toBe(0);
}

describe('conversations in the browser', () => {
  it('asks before creating a room from its address, and says why a bad address is no room', async () => {
    await ana.goto(`/r/${ROOM}`);
    const create = ana.getByRole('button', { name: `Create #${ROOM}` });
    await create.waitFor({ timeout: 10_000 });
    expect(await ana.getByText(`There is no room called #${ROOM} yet.`).isVisible()).toBe(true);
    await ana.screenshot({ path: join(ARTIFACTS, 'room-create-ask.png') });
    await create.click();
    await expect.poll(() => log(ana).innerText(), { timeout: 10_000 }).toContain(`Welcome to #${ROOM}`);

    await cleo.goto('/r/Not A Room!');
    await expect.poll(() => cleo.getByRole('alert').first().innerText(), { timeout: 10_000 }).toContain('cannot be a room');
    expect(await cleo.getByRole('alert').first().innerText()).toContain('Room names use only letters a–z, digits, - and _.');
  });

  it('marks a room unread with a count and a mention badge, puts the count in the title, and a "new" line on opening', async () => {
    await openRoomByAddress(ben, ROOM);
    await send(ben, 'morning all');
    // ben steps away to another room; ana writes three messages, one naming him.
    await openRoomByAddress(ben, 'elsewhere');
    await send(ana, 'first thing today');
    await send(ana, 'second, @ben can you look?');
    await send(ana, 'third and last');
    const item = yourRooms(ben).getByRole('link', { name: new RegExp(ROOM) });
    await expect.poll(() => item.getAttribute('class'), { timeout: 10_000 }).toContain('unread');
    // Three unread, one of them a mention (a red badge apart), and the total in the title.
    await expect.poll(() => item.locator('.badge.count').innerText(), { timeout: 10_000 }).toMatch(/^3/);
    expect(await item.locator('.badge.mention').innerText()).toMatch(/^@1/);
    await expect.poll(() => ben.title(), { timeout: 10_000 }).toMatch(/^\(3\) /);
    await ben.locator('parley-sidebar').screenshot({ path: join(ARTIFACTS, 'sidebar-unread.png') });

    await item.click();
    const divider = log(ben).getByRole('separator', { name: 'New messages' });
    await divider.waitFor({ timeout: 10_000 });
    // The line sits right above ana's first unread message.
    const next = await divider.evaluate((el) => el.nextElementSibling?.textContent ?? '');
    expect(next).toContain('first thing today');
    // The mention is highlighted in the body.
    expect(await message(ben, 'can you look').locator('.mention').innerText()).toBe('@ben');
    await expect.poll(() => ben.title(), { timeout: 10_000 }).not.toMatch(/^\(/);
    await expect.poll(() => item.getAttribute('class'), { timeout: 10_000 }).not.toContain('unread');
    await ben.screenshot({ path: join(ARTIFACTS, 'room-new-line.png') });
  });

  it('lets the author edit and delete, seen live by the other person; Up edits the last message', async () => {
    await send(ana, 'the meeting is at 10');
    // By seq: while edited, the text is in a field, not in the row's text.
    const seq = await message(ana, 'the meeting is at 10').getAttribute('data-seq');
    const mine = log(ana).locator(`.message[data-seq="${seq}"]`);
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const editor = mine.getByLabel('Edit message');
    await editor.fill('the meeting is at 11');
    await editor.press('Enter');
    await expect.poll(() => message(ben, 'the meeting is at 11').innerText(), { timeout: 10_000 }).toContain('(edited)');
    expect(await message(ben, 'the meeting is at 10').count()).toBe(0);

    // Up in the empty composer edits the newest message.
    await composer(ana).click();
    await composer(ana).press('ArrowUp');
    const again = mine.getByLabel('Edit message');
    await again.waitFor({ timeout: 5000 });
    await again.fill('the meeting is at 11:30');
    await again.press('Enter');
    await expect.poll(() => message(ben, 'at 11:30').count(), { timeout: 10_000 }).toBe(1);

    const doomed = mine;
    await doomed.hover();
    await doomed.getByRole('button', { name: 'Delete' }).click();
    await ana.screenshot({ path: join(ARTIFACTS, 'message-delete-confirm.png') });
    await doomed.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => log(ben).getByText('message deleted').count(), { timeout: 10_000 }).toBe(1);
    expect(await message(ben, 'at 11:30').count()).toBe(0);
    // Others' messages offer no actions.
    await message(ben, 'third and last').hover();
    expect(await message(ben, 'third and last').getByRole('button', { name: 'Edit' }).count()).toBe(0);
  });

  it('renders the Markdown subset and never raw HTML; completes @names', async () => {
    await send(ana, '**bold** _italic_ ~~gone~~ `code` <b>not bold</b>\n> quoted\n[site](https://example.com)');
    const m = message(ben, 'quoted');
    await m.waitFor({ timeout: 10_000 });
    expect(await m.locator('strong').innerText()).toBe('bold');
    expect(await m.locator('em').innerText()).toBe('italic');
    expect(await m.locator('s, del').first().innerText()).toBe('gone');
    expect(await m.locator('code').innerText()).toBe('code');
    expect(await m.locator('blockquote').innerText()).toContain('quoted');
    expect(await m.locator('a[href="https://example.com/"]').innerText()).toBe('site');
    expect(await m.innerText()).toContain('<b>not bold</b>');
    expect(await m.locator('b').count()).toBe(0);

    await composer(ben).fill('thanks @an');
    const option = ben.getByRole('option', { name: '@ana' });
    await option.waitFor({ timeout: 5000 });
    await composer(ben).press('Enter');
    expect(await composer(ben).inputValue()).toBe('thanks @ana ');
    await composer(ben).fill('');
  });

  it('sets a topic everyone sees, and leaving drops the room from your list', async () => {
    await ana.getByRole('button', { name: 'Set topic' }).click();
    await ana.getByLabel('Room topic').fill('Daily check-in, 9:30');
    await ana.getByLabel('Room topic').press('Enter');
    await expect.poll(() => ben.locator('parley-room .subtitle').innerText(), { timeout: 10_000 }).toBe('Daily check-in, 9:30');

    await openRoomByAddress(ben, 'elsewhere');
    await ben.getByRole('button', { name: 'Leave' }).click();
    await expect.poll(() => new URL(ben.url()).pathname, { timeout: 10_000 }).toBe('/');
    await expect.poll(() => yourRooms(ben).getByRole('link', { name: /elsewhere/ }).count(), { timeout: 10_000 }).toBe(0);
    // Still there to browse, and still there after a reload.
    await ben.reload();
    await yourRooms(ben).getByRole('link', { name: new RegExp(ROOM) }).waitFor({ timeout: 10_000 });
    expect(await yourRooms(ben).getByRole('link', { name: /elsewhere/ }).count()).toBe(0);
    expect(await ben.getByRole('region', { name: 'All rooms' }).getByRole('link', { name: /elsewhere/ }).count()).toBe(1);
  });

  it('shows a new direct conversation marked unread before it is opened', async () => {
    await cleo.goto('/');
    await cleo.locator('parley-contacts').getByRole('button', { name: /ben/ }).click();
    await expect.poll(() => new URL(cleo.url()).pathname, { timeout: 10_000 }).toMatch(/^\/r\/dm-/);
    await send(cleo, 'hi ben, a quick question');
    const dms = ben.getByRole('region', { name: 'Direct messages' });
    const dm = dms.getByRole('link', { name: /cleo/ });
    await dm.waitFor({ timeout: 10_000 });
    await expect.poll(() => dm.getAttribute('class'), { timeout: 10_000 }).toContain('unread');
    await expect.poll(() => dm.locator('.badge.count').innerText(), { timeout: 10_000 }).toMatch(/^1/);
    await expect.poll(() => ben.title(), { timeout: 10_000 }).toMatch(/^\(1\) /);
    await ben.locator('parley-sidebar').screenshot({ path: join(ARTIFACTS, 'sidebar-dm-unread.png') });
  });

  it('raises a desktop notification for a mention and a direct message while the tab is hidden, once turned on', async () => {
    const dora = await newPage();
    // The page's Notification and visibility, replaced before its scripts run: what Parley
    // asks of the browser is recorded, and the test decides when the tab is hidden.
    await dora.context().addInitScript(() => {
      const w = window as unknown as { __notes: Array<{ title: string; body?: string }>; __hidden: boolean };
      w.__notes = [];
      w.__hidden = false;
      class FakeNotification {
        static permission = 'default';
        static async requestPermission() {
          FakeNotification.permission = 'granted';
          return 'granted';
        }
        onclick: (() => void) | null = null;
        constructor(title: string, options?: { body?: string }) {
          w.__notes.push({ title, body: options?.body });
        }
        close() {}
      }
      Object.defineProperty(window, 'Notification', { value: FakeNotification });
      Object.defineProperty(document, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') });
    });
    await signUp(dora, 'dora');
    const toggle = dora.getByRole('button', { name: 'Notifications off' });
    await toggle.click();
    await dora.getByRole('button', { name: 'Notifications on' }).waitFor();
    await dora.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
    const notes = () => dora.evaluate(() => (window as unknown as { __notes: Array<{ title: string; body?: string }> }).__notes);

    await send(ana, 'hey @dora, welcome aboard');
    await expect.poll(notes, { timeout: 10_000 }).toEqual([{ title: `ana in #${ROOM} mentioned you`, body: 'hey @dora, welcome aboard' }]);
    await cleo.goto('/');
    await cleo.locator('parley-contacts').getByRole('button', { name: /dora/ }).click();
    await expect.poll(() => new URL(cleo.url()).pathname, { timeout: 10_000 }).toMatch(/^\/r\/dm-/);
    await send(cleo, 'a word in private');
    await expect.poll(async () => (await notes()).length, { timeout: 10_000 }).toBe(2);
    expect((await notes())[1]).toEqual({ title: 'cleo', body: 'a word in private' });
    // Visible again: nothing more pops up.
    await dora.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = false));
    await send(cleo, 'are you there?');
    await dora.waitForTimeout(1000);
    expect(await notes()).toHaveLength(2);
  });

  it('shows a message\'s actions after a long press on a touch screen', async () => {
    const phone = await newPage({ width: 390, height: 800, hasTouch: true });
    await phone.goto('/');
    await phone.getByLabel('Username').fill('ana');
    await phone.getByLabel('Password').fill(TEST_PASSWORD);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await phone.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });
    await openRoomByAddress(phone, ROOM);
    await send(phone, 'written on a phone');
    const own = message(phone, 'written on a phone');
    await own.waitFor();
    const edit = own.getByRole('button', { name: 'Edit' });
    expect(await edit.isVisible()).toBe(false);
    const box = (await own.boundingBox())!;
    await own.dispatchEvent('pointerdown', { pointerType: 'touch', clientX: box.x + 20, clientY: box.y + 10 });
    await phone.waitForTimeout(700);
    await own.dispatchEvent('pointerup', { pointerType: 'touch' });
    expect(await edit.isVisible()).toBe(true);
    await phone.screenshot({ path: join(ARTIFACTS, 'message-actions-phone.png') });
  });

  it("clears a room's unread state in the reader's other tab when one tab reads it", async () => {
    await ben.goto('/');
    const other = await ben.context().newPage();
    other.setDefaultTimeout(8000);
    await other.goto('/');
    await send(ana, 'news for both of your tabs');
    const itemIn = (page: Page) => yourRooms(page).getByRole('link', { name: new RegExp(ROOM) });
    for (const tab of [ben, other]) await expect.poll(() => itemIn(tab).getAttribute('class'), { timeout: 10_000 }).toContain('unread');
    await itemIn(ben).click();
    await message(ben, 'news for both of your tabs').waitFor();
    await expect.poll(() => itemIn(other).getAttribute('class'), { timeout: 10_000 }).not.toContain('unread');
    await other.close();
  });
});
