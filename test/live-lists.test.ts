/**
 * The sidebar's live lists over the WebSocket (`watch`, `lists`, `directory`) on one real
 * Parley: the first answer is the whole picture, then changes as people come and go, and new
 * rooms and users as they are made; a direct room only reaches its two members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestServer, type TestServer } from './harness.js';
import type { Frame } from './ws-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.cleanup();
});

describe('live lists', () => {
  it('watch answers with the whole picture, then pushes counts and online changes that agree with presence', async () => {
    const ann = await newUser(server, 'll_ann');
    const ben = await newUser(server, 'll_ben');
    const a = await ann.connect();
    await a.join('ll-lobby');
    const snapshot = await a.request({ t: 'watch' });
    expect(snapshot).toMatchObject({ t: 'lists', full: true });
    expect(snapshot.rooms['ll-lobby']).toBe(1);
    expect(snapshot.users).toContain(ann.user.id);
    expect(snapshot.users).not.toContain(ben.user.id);

    const b = await ben.connect();
    await b.join('ll-lobby');
    // Connecting and joining may land in one flush or two.
    await a.next((f) => f.t === 'lists' && !f.full && f.rooms['ll-lobby'] === 2);
    expect(a.all('lists').some((f) => f.on?.includes(ben.user.id))).toBe(true);
    // The same count over HTTP: one source of truth.
    const listed = (await ann.http.get('/api/rooms')).body.rooms.find((r: Frame) => r.name === 'll-lobby');
    expect(listed.online).toBe(2);

    b.close();
    const gone = await a.next((f) => f.t === 'lists' && !f.full && f.rooms['ll-lobby'] === 1);
    // Leaving the room and going offline are one socket closing: one flush.
    expect(gone.off).toContain(ben.user.id);
  });

  it('new users and rooms are pushed to watchers; a direct room only to its two members', async () => {
    const cat = await newUser(server, 'll_cat');
    const dan = await newUser(server, 'll_dan');
    const c = await cat.connect();
    const d = await dan.connect();
    await c.request({ t: 'watch' });
    await d.request({ t: 'watch' });

    const eve = await newUser(server, 'll_eve');
    const e = await eve.connect();
    await e.request({ t: 'watch' });
    const signup = await c.next((f) => f.t === 'directory' && f.users?.some((u: Frame) => u.name === 'll_eve'));
    expect(signup.users).toEqual([{ id: eve.user.id, name: 'll_eve' }]);

    expect((await cat.http.post('/api/rooms', { name: 'll-made', topic: 'made over HTTP' })).status).toBe(201);
    for (const ws of [c, d, e]) {
      const made = await ws.next((f) => f.t === 'directory' && f.rooms?.some((r: Frame) => r.name === 'll-made'));
      expect(made.rooms[0]).toMatchObject({ name: 'll-made', kind: 'public', topic: 'made over HTTP', lastSeq: 0 });
    }
    await d.join('ll-made-by-join');
    await c.next((f) => f.t === 'directory' && f.rooms?.some((r: Frame) => r.name === 'll-made-by-join'));

    const dm = await cat.http.post('/api/dms', { user: 'll_dan' });
    expect(dm.status).toBe(201);
    const forCat = await c.next((f) => f.t === 'directory' && f.rooms?.some((r: Frame) => r.kind === 'direct'));
    expect(forCat.rooms[0]).toMatchObject({ name: dm.body.room.name, kind: 'direct', with: { id: dan.user.id, name: 'll_dan' } });
    const forDan = await d.next((f) => f.t === 'directory' && f.rooms?.some((r: Frame) => r.kind === 'direct'));
    expect(forDan.rooms[0]).toMatchObject({ name: dm.body.room.name, with: { id: cat.user.id, name: 'll_cat' } });
    // Eve hears of neither: a round trip on her socket after both arrived shows nothing queued for her.
    await e.request({ t: 'watch' });
    expect(e.frames.some((f) => f.t === 'directory' && f.rooms?.some((r: Frame) => r.kind === 'direct'))).toBe(false);
  });
});
