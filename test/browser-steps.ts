/**
 * Steps the browser tests take the way a person does, through the page: signing up and in
 * with the form, and opening a room by its address.
 */
import type { Browser, Page } from 'playwright-core';

/**
 * A public room that does not exist yet asks before it is created; this says yes, so a test
 * can open a new room and an existing one alike.
 */
export async function openRoomByAddress(page: Page, room: string, timeout = 10_000): Promise<void> {
  await page.goto(`/r/${room}`);
  const create = page.getByRole('button', { name: `Create #${room}` });
  const history = page.getByRole('log', { name: 'Messages' });
  const first = await Promise.race([
    create.waitFor({ timeout }).then(() => 'create' as const),
    history.waitFor({ timeout }).then(() => 'history' as const),
  ]);
  if (first === 'create') {
    await create.click();
    await history.waitFor({ timeout });
  }
}

export const TEST_PASSWORD = 'correct horse battery';

/** Signs up through the form (the app opens on sign-in) and waits for the signed-in screen. */
export async function signUpThroughForm(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  // waitFor, not expect.poll: this also runs in a beforeAll.
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 });
}

export interface PageShape {
  width?: number;
  height?: number;
  hasTouch?: boolean;
}

/** A page in a context of its own (its own cookies: one person), at desktop size unless told. */
export async function pageOf(browser: Browser, baseURL: string, shape: PageShape = {}): Promise<Page> {
  const { width = 1280, height = 800, hasTouch = false } = shape;
  const context = await browser.newContext({ viewport: { width, height }, hasTouch, baseURL });
  return context.newPage();
}
