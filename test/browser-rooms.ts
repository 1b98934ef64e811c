/**
 * Opening a room in a browser test the way a person does: by its address. A public room
 * that does not exist yet asks before it is created; the helper says yes, so a test can
 * open a new room and an existing one alike.
 */
import type { Page } from 'playwright-core';

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
