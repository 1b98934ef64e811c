/**
 * What a new user runs into first, in a real Chromium against the real server: the phone
 * members drop-down closing, a direct room's panel showing both people, a person in the
 * panel opening a direct conversation, refusals as one sentence, the sign-in form's focus
 * and invalid marks, an over-long message, and hover highlights kept off touch screens.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startTestServer, type TestServer } from './harness.js';
import { launchChromium } from './chromium.js';
import { openRoomByAddress, pageOf, signUpThroughForm as signUp, TEST_PASSWORD as PASSWORD, type PageShape } from './browser-steps.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startTestServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

function newPage(shape: PageShape = {}): Promise<Page> {
  return pageOf(browser, server.url, shape);
}


async function signIn(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });
}

/** Opens a room and waits for its history (and so its join) to be on screen. */
async function openRoom(page: Page, room: string): Promise<void> {
  await openRoomByAddress(page, room);
  await expect.poll(() => page.getByRole('log', { name: 'Messages' }).innerText(), { timeout: 10_000 }).toContain(`#${room}`);
}

const panel = (page: Page) => page.locator('parley-room parley-members');
const focused = (page: Page, selector: string) => page.locator(selector).evaluate((el) => el.matches(':focus'));

describe('rough edges a new user hits', () => {
  it('closes the phone members drop-down on Escape (focus back on its toggle) and on a tap outside it', async () => {
    const page = await newPage({ width: 390, height: 800, hasTouch: true });
    await signUp(page, 'pia_r');
    await openRoom(page, 'rough-phone');
    const toggle = page.locator('parley-room .members-toggle');

    await toggle.tap();
    await expect.poll(() => panel(page).isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Escape');
    await expect.poll(() => panel(page).isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await focused(page, 'parley-room .members-toggle')).toBe(true);

    await toggle.tap();
    await expect.poll(() => panel(page).isVisible()).toBe(true);
    // A tap inside the panel keeps it open.
    await panel(page).locator('h2').tap();
    expect(await panel(page).isVisible()).toBe(true);
    const list = await page.getByRole('log', { name: 'Messages' }).boundingBox();
    await page.touchscreen.tap(list!.x + 40, list!.y + list!.height - 40);
    await expect.poll(() => panel(page).isVisible()).toBe(false);
    await page.context().close();
  });

  describe('with two people', () => {
    let alice: Page;
    let dmPath: string;

    beforeAll(async () => {
      await new Client(server.url).signup('bob_r');
      alice = await newPage();
      await signUp(alice, 'alice_r');
    });

    afterAll(async () => {
      await alice?.context().close();
    });

    it("lists both people of a direct room, the other offline until they open Parley, then online", async () => {
      const bobInPeople = alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /bob_r/ });
      await bobInPeople.click();
      await expect.poll(() => new URL(alice.url()).pathname, { timeout: 10_000 }).toMatch(/^\/r\/dm-\d+-\d+$/);
      dmPath = new URL(alice.url()).pathname;
      const members = alice.getByRole('region', { name: 'Members', exact: true });
      const bob = members.getByRole('button', { name: /bob_r/ });
      await expect.poll(() => bob.innerText(), { timeout: 10_000 }).toContain('offline');
      expect(await members.innerText()).toMatch(/alice_r[\s\S]*\(you\)/);
      expect(await bob.locator('.presence').getAttribute('class')).toContain('off');
      await panel(alice).screenshot({ path: `${ARTIFACTS}/members-direct-offline.png` });

      const bobPage = await newPage();
      await signIn(bobPage, 'bob_r');
      await expect.poll(() => bob.innerText(), { timeout: 10_000 }).not.toContain('offline');
      expect(await bob.getAttribute('title')).toBe('Send bob_r a direct message');
      await expect.poll(() => members.getByRole('button', { name: /^bob_r\W*online$/ }).count()).toBe(1);
      await bobPage.context().close();
    });

    it('opens the direct room with a person clicked in a room’s members panel', async () => {
      const bobPage = await newPage();
      await signIn(bobPage, 'bob_r');
      await openRoom(bobPage, 'rough-lounge');
      await openRoom(alice, 'rough-lounge');
      const bob = alice.getByRole('region', { name: 'Online members' }).getByRole('button', { name: /bob_r/ });
      await expect.poll(() => bob.count(), { timeout: 10_000 }).toBe(1);
      // Oneself is listed but not a button.
      expect(await alice.getByRole('region', { name: 'Online members' }).getByRole('button', { name: /alice_r/ }).count()).toBe(0);
      await bob.focus();
      await alice.keyboard.press('Enter');
      await expect.poll(() => new URL(alice.url()).pathname, { timeout: 10_000 }).toBe(dmPath);
      await bobPage.context().close();
    });

    it('says why a room cannot be opened in one sentence, without the server’s wording', async () => {
      const carol = await newPage();
      await signUp(carol, 'carol_r');
      for (const [path, sentence] of [
        [dmPath, 'This is a private conversation between two other people.'],
        ['/r/dm-nobody', 'There is no room with this name.'],
      ] as const) {
        await carol.goto(path);
        const alert = carol.locator('parley-room').getByRole('alert');
        await expect.poll(() => alert.innerText(), { timeout: 10_000 }).toContain(sentence);
        expect((await alert.innerText()).trim().split('\n').filter(Boolean)).toEqual([sentence, 'Back to the room list']);
      }
      await carol.context().close();
    });

    it('on Enter, refuses a message over 4,000 characters, says so and keeps the text', async () => {
      await openRoom(alice, 'rough-long');
      const box = alice.getByLabel('Message', { exact: true });
      // 4,213 code points, more UTF-16 units: the limit counts code points, as the server does.
      const body = 'a'.repeat(4200) + '😀'.repeat(13);
      await box.fill(body);
      await expect.poll(() => alice.locator('parley-composer .count').innerText()).toBe('4,213 / 4,000');
      await box.press('Enter');
      const alert = alice.locator('parley-composer').getByRole('alert');
      await expect.poll(() => alert.innerText()).toBe('This message is 4,213 characters; the limit is 4,000.');
      expect(await box.inputValue()).toBe(body);
      expect(await box.getAttribute('aria-invalid')).toBe('true');
      await alice.locator('parley-composer').screenshot({ path: `${ARTIFACTS}/composer-too-long.png` });
      expect(await alice.locator('.message[data-pending]').count()).toBe(0);
      expect(await alice.getByRole('log', { name: 'Messages' }).innerText()).not.toContain('aaaa');
      // Cut to the limit, the sentence goes and Enter sends.
      await box.fill('a'.repeat(4000));
      expect(await alert.count()).toBe(0);
      await box.press('Enter');
      await expect.poll(() => alice.getByRole('log', { name: 'Messages' }).innerText(), { timeout: 10_000 }).toContain('aaaa');
      expect(await box.inputValue()).toBe('');
    });

    it('keeps every hover highlight to devices that hover', async () => {
      // Every :hover rule in every shadow root of the room view sits inside @media (hover: hover).
      const { loose, kept } = await alice.evaluate(() => {
        const found: string[] = [];
        let held = 0;
        const visit = (rules: CSSRuleList, inHover: boolean) => {
          for (const rule of Array.from(rules)) {
            if (rule instanceof CSSMediaRule) visit(rule.cssRules, inHover || rule.conditionText.includes('hover: hover'));
            else if (rule instanceof CSSStyleRule && rule.selectorText.includes(':hover')) {
              if (inHover) held++;
              else found.push(rule.selectorText);
            }
          }
        };
        const walk = (root: Document | ShadowRoot) => {
          for (const sheet of [...root.adoptedStyleSheets, ...Array.from(root.styleSheets)]) visit(sheet.cssRules, false);
          for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return { loose: found, kept: held };
      });
      expect(loose).toEqual([]);
      // The walk reached the components' sheets: message rows, list items and buttons.
      expect(kept).toBeGreaterThanOrEqual(3);
    });
  });

  it('focuses Username when the sign-in form appears, and marks only the field at fault', async () => {
    const page = await newPage();
    await page.goto('/');
    const username = page.getByLabel('Username');
    const password = page.getByLabel('Password');
    await expect.poll(() => username.evaluate((el) => el.matches(':focus')), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await expect.poll(() => username.evaluate((el) => el.matches(':focus'))).toBe(true);

    await username.fill('new_person');
    await password.fill('short');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/^Passwords are \d+ to \d+ characters\.$/);
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await username.getAttribute('aria-invalid')).toBe('false');
    expect(await password.getAttribute('aria-describedby')).toContain('form-error');
    expect(await password.evaluate((el) => el.matches(':focus'))).toBe(true);

    await username.fill('no');
    await password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('Usernames are');
    expect(await username.getAttribute('aria-invalid')).toBe('true');
    expect(await password.getAttribute('aria-invalid')).toBe('false');

    // A wrong pair is about neither field alone.
    await page.getByRole('button', { name: 'Use an existing account' }).click();
    await username.fill('new_person');
    await password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 10_000 }).toBe('You entered the wrong username or password.');
    expect(await username.getAttribute('aria-invalid')).toBe('false');
    expect(await password.getAttribute('aria-invalid')).toBe('false');
    await page.context().close();
  });
});
