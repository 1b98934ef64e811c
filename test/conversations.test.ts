/**
 * What makes a chat usable every day, over the real server: edits and deletes as events in
 * the room's sequence (live, in history, and replayed to a client that was away), read
 * positions that sync across tabs and drive unread and mention counts, membership of public
 * rooms, topics, activity notices for rooms not open, and full-text search limited to what
 * the caller may read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestServer, until, type TestServer } from './harness.js';
import type { Frame } from './ws-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.cleanup();
});

const listed = async (u: Awaited<ReturnType<typeof newUser>>, room: string, query = '') =>
  (await u.http.get(`/api/rooms${query}`)).body.rooms.find((r: Frame) => r.name === room);

describe('edit and delete', () => {
  it('are events with their own seq: seen live, carried by history, replayed by since to a client that was away', async () => {
    const ann = await newUser(server, 'cv_ann');
    const ben = await newUser(server, 'cv_ben');
    const a = await ann.connect();
    const b = await ben.connect();
    await a.join('cv-edits');
    const joined = await b.join('cv-edits');
    const first = await a.request({ t: 'send', room: 'cv-edits', body: 'helo wrold', cid: 'c1' });
    const second = await a.request({ t: 'send', room: 'cv-edits', body: 'to be removed', cid: 'c2' });
    await b.next((f) => f.t === 'msg' && f.seq === second.seq);
    const heldByB = second.seq;

    // ben goes away; ann edits the first and deletes the second.
    b.close();
    const edit = await a.request({ t: 'edit', room: 'cv-edits', seq: first.seq, body: 'hello world' });
    expect(edit).toMatchObject({ t: 'ack', room: 'cv-edits', seq: second.seq + 1 });
    // The event went out before the ack (published, then answered): already received.
    const live = a.all('msg', 'cv-edits').find((f) => f.seq === edit.seq);
    expect(live).toMatchObject({ kind: 'edit', target: first.seq, body: 'hello world', user: { id: ann.user.id } });
    const del = await a.request({ t: 'delete', room: 'cv-edits', seq: second.seq });
    expect(del.seq).toBe(edit.seq + 1);
    expect(a.all('msg', 'cv-edits').find((f) => f.seq === del.seq)).toMatchObject({ kind: 'delete', target: second.seq, body: '' });

    // Back with since: the two events, in order, and no gap in seq.
    const b2 = await ben.connect();
    const rejoin = await b2.join('cv-edits', heldByB);
    expect(rejoin.messages.map((m: Frame) => [m.seq, m.kind, m.target])).toEqual([
      [edit.seq, 'edit', first.seq],
      [del.seq, 'delete', second.seq],
    ]);
    expect(rejoin.seq).toBe(del.seq);
    expect(joined.seq).toBeLessThan(first.seq);

    // A fresh join and an HTTP page show the messages as they are now.
    const fresh = await (await ben.connect()).join('cv-edits');
    const byseq = new Map(fresh.messages.map((m: Frame) => [m.seq, m]));
    expect(byseq.get(first.seq)).toMatchObject({ body: 'hello world', edited: expect.any(Number) });
    expect(byseq.get(second.seq)).toMatchObject({ body: '', deleted: true });
    const page = (await ben.http.get('/api/rooms/cv-edits/messages')).body.messages as Frame[];
    expect(page.find((m) => m.seq === first.seq)).toMatchObject({ body: 'hello world', edited: expect.any(Number) });
    expect(page.find((m) => m.seq === second.seq)).toMatchObject({ body: '', deleted: true });
  });

  it('refuses changes to someone else\'s message, a missing one, a deleted one, and bad frames', async () => {
    const cat = await newUser(server, 'cv_cat');
    const dan = await newUser(server, 'cv_dan');
    const c = await cat.connect();
    const d = await dan.connect();
    await c.join('cv-refuse');
    await d.join('cv-refuse');
    const sent = await c.request({ t: 'send', room: 'cv-refuse', body: 'mine', cid: 'x' });
    expect(await d.request({ t: 'edit', room: 'cv-refuse', seq: sent.seq, body: 'yours now' })).toMatchObject({ t: 'error', code: 'forbidden' });
    expect(await d.request({ t: 'delete', room: 'cv-refuse', seq: sent.seq })).toMatchObject({ t: 'error', code: 'forbidden' });
    expect(await c.request({ t: 'edit', room: 'cv-refuse', seq: 999, body: 'x' })).toMatchObject({ t: 'error', code: 'not_found' });
    expect(await c.request({ t: 'edit', room: 'cv-refuse', seq: sent.seq, body: '   ' })).toMatchObject({ t: 'error', code: 'invalid' });
    expect(await c.request({ t: 'edit', room: 'cv-refuse', seq: 'one', body: 'x' })).toMatchObject({ t: 'error', code: 'bad_frame' });
    expect(await c.request({ t: 'edit', room: 'cv-other', seq: sent.seq, body: 'x' })).toMatchObject({ t: 'error', code: 'not_joined' });
    await c.request({ t: 'delete', room: 'cv-refuse', seq: sent.seq });
    expect(await c.request({ t: 'edit', room: 'cv-refuse', seq: sent.seq, body: 'back' })).toMatchObject({ t: 'error', code: 'not_found' });
    // Nothing was refused into the sequence: seq moved only for the one delete.
    const head = await (await cat.connect()).join('cv-refuse');
    expect(head.seq).toBe(sent.seq + 1);
  });
});

describe('read positions, unread and mentions', () => {
  it('counts unread messages by others and mentions for members, and moves only forward, synced to the other tabs', async () => {
    const eve = await newUser(server, 'cv_eve');
    const fay = await newUser(server, 'cv_fay');
    const e = await eve.connect();
    const f1 = await fay.connect();
    const f2 = await fay.connect();
    await f2.request({ t: 'watch' });
    await e.join('cv-unread');
    await f1.join('cv-unread');
    let last = 0;
    for (const body of ['one', 'two @cv_fay look', 'three', 'mail cv_fay@example.com is no mention']) {
      last = (await e.request({ t: 'send', room: 'cv-unread', body, cid: body })).seq;
    }
    await e.request({ t: 'send', room: 'cv-unread', body: 'my own', cid: 'own' }).then(() => undefined);
    expect(await listed(fay, 'cv-unread')).toMatchObject({ member: true, readSeq: 0, unread: 5, mentions: 1 });
    // eve's own message is not unread to her.
    expect(await listed(eve, 'cv-unread')).toMatchObject({ member: true, unread: 0 });

    const moved = await f1.request({ t: 'read', room: 'cv-unread', seq: last });
    expect(moved).toMatchObject({ t: 'read', room: 'cv-unread', seq: last });
    // The other tab hears it.
    await f2.next((f) => f.t === 'read' && f.room === 'cv-unread' && f.seq === last);
    expect(await listed(fay, 'cv-unread')).toMatchObject({ readSeq: last, unread: 1, mentions: 0 });
    // Backwards is ignored; past the end is capped at the room's last seq.
    expect(await f1.request({ t: 'read', room: 'cv-unread', seq: 1 })).toMatchObject({ seq: last });
    expect((await f1.request({ t: 'read', room: 'cv-unread', seq: 10_000 })).seq).toBe(last + 1);
    expect(await listed(fay, 'cv-unread')).toMatchObject({ readSeq: last + 1, unread: 0 });
    expect(await f1.request({ t: 'read', room: 'cv-elsewhere', seq: 1 })).toMatchObject({ t: 'error', code: 'not_joined' });
  });

  it('tells watchers of activity in public rooms, and a person of DMs and mentions for them, with a preview', async () => {
    const gus = await newUser(server, 'cv_gus');
    const hal = await newUser(server, 'cv_hal');
    const g = await gus.connect();
    const h = await hal.connect();
    await h.request({ t: 'watch' });
    await g.join('cv-activity');
    await g.request({ t: 'send', room: 'cv-activity', body: 'hi all', cid: 'a1' });
    const mention = await g.request({ t: 'send', room: 'cv-activity', body: 'ping @CV_HAL please', cid: 'a2' });
    await h.until((fs) => fs.some((f) => f.t === 'lists' && f.activity?.['cv-activity']?.includes(mention.seq)));
    const seqs = h.all('lists').flatMap((f) => f.activity?.['cv-activity'] ?? []);
    expect(seqs).toEqual([mention.seq - 1, mention.seq]);
    await h.until((fs) => fs.some((f) => f.t === 'activity' && f.mention));
    expect(h.all('activity').find((f) => f.mention)).toMatchObject({ room: 'cv-activity', seq: mention.seq, by: { name: 'cv_gus' }, preview: 'ping @CV_HAL please' });

    const dm = (await gus.http.post('/api/dms', { user: 'cv_hal' })).body.room.name as string;
    await g.join(dm);
    const sent = await g.request({ t: 'send', room: dm, body: 'a direct word', cid: 'd1' });
    expect(await h.next((f) => f.t === 'activity' && f.room === dm)).toMatchObject({ seq: sent.seq, mention: false, preview: 'a direct word' });
    // The new conversation is listed for hal as unread before he ever opens it.
    expect(await listed(hal, dm)).toMatchObject({ member: true, unread: 1, with: { name: 'cv_gus' } });
  });
});

describe('rooms: membership and topic', () => {
  it('joining makes you a member, leaving over HTTP ends it, both told to your tabs; ?joined=1 lists only yours', async () => {
    const ivy = await newUser(server, 'cv_ivy');
    const tab = await ivy.connect();
    await tab.request({ t: 'watch' });
    const other = await ivy.connect();
    await other.join('cv-member');
    await tab.next((f) => f.t === 'membership' && f.room.name === 'cv-member' && f.member === true);
    const mine = (await ivy.http.get('/api/rooms?joined=1')).body.rooms.map((r: Frame) => r.name);
    expect(mine).toContain('cv-member');
    expect(mine).not.toContain('cv-edits');
    expect((await ivy.http.request('DELETE', '/api/rooms/cv-member/membership')).status).toBe(204);
    await tab.next((f) => f.t === 'membership' && f.room.name === 'cv-member' && f.member === false);
    expect((await ivy.http.get('/api/rooms?joined=1')).body.rooms.map((r: Frame) => r.name)).not.toContain('cv-member');
    expect(await listed(ivy, 'cv-member')).toMatchObject({ member: false });
    expect((await ivy.http.request('PUT', '/api/rooms/cv-member/membership')).status).toBe(204);
    expect(await listed(ivy, 'cv-member')).toMatchObject({ member: true });
    // A direct conversation cannot be left.
    await newUser(server, 'cv_jon');
    const dm = (await ivy.http.post('/api/dms', { user: 'cv_jon' })).body.room.name as string;
    expect((await ivy.http.request('DELETE', `/api/rooms/${dm}/membership`)).body.error.code).toBe('invalid');
  });

  it('sets a topic, pushed to watchers; direct rooms have none; too long is refused', async () => {
    const kim = await newUser(server, 'cv_kim');
    const k = await kim.connect();
    await k.request({ t: 'watch' });
    await k.join('cv-topic');
    const r = await kim.http.request('PATCH', '/api/rooms/cv-topic', { topic: '  Release planning  ' });
    expect(r.status).toBe(200);
    expect(r.body.room).toMatchObject({ name: 'cv-topic', topic: 'Release planning' });
    await k.next((f) => f.t === 'directory' && f.rooms?.some((x: Frame) => x.name === 'cv-topic' && x.topic === 'Release planning'));
    expect((await kim.http.request('PATCH', '/api/rooms/cv-topic', { topic: 'x'.repeat(201) })).status).toBe(400);
    expect((await kim.http.request('PATCH', '/api/rooms/cv-topic', { topic: null })).body.room.topic).toBeNull();
  });
});

describe('search', () => {
  it('finds words by prefix in rooms the caller may read, with room, author, time and context; never deleted text', async () => {
    const lea = await newUser(server, 'cv_lea');
    const max = await newUser(server, 'cv_max');
    const ned = await newUser(server, 'cv_ned');
    const l = await lea.connect();
    await l.join('cv-search');
    await l.request({ t: 'send', room: 'cv-search', body: 'before the news', cid: 's0' });
    const hit = await l.request({ t: 'send', room: 'cv-search', body: 'We deployed the zebrafish build', cid: 's1' });
    await l.request({ t: 'send', room: 'cv-search', body: 'after the news', cid: 's2' });
    const gone = await l.request({ t: 'send', room: 'cv-search', body: 'zebrafish secret', cid: 's3' });
    await l.request({ t: 'delete', room: 'cv-search', seq: gone.seq });
    const dm = (await lea.http.post('/api/dms', { user: 'cv_max' })).body.room.name as string;
    await l.join(dm);
    await l.request({ t: 'send', room: dm, body: 'private zebrafish talk', cid: 'p1' });

    // The index follows the commits by a moment (store/search-index.ts).
    await until(async () => (await max.http.get('/api/search?q=zebrafish')).body.results.length === 2, 5000, 'indexed');
    const found = (await max.http.get('/api/search?q=ZEBRA%20deploy')).body;
    expect(found.results).toHaveLength(1);
    expect(found.results[0]).toMatchObject({
      room: { name: 'cv-search', kind: 'public' },
      message: { seq: hit.seq, body: 'We deployed the zebrafish build', user: { name: 'cv_lea' }, at: expect.any(Number) },
      before: { body: 'before the news', user: { name: 'cv_lea' } },
      after: { body: 'after the news' },
    });
    // max is in the DM, ned is not: ned sees only the public message.
    const forMax = (await max.http.get('/api/search?q=zebrafish')).body.results.map((r: Frame) => r.room.name);
    expect(forMax.sort()).toEqual(['cv-search', dm].sort());
    expect((await max.http.get('/api/search?q=zebrafish')).body.results.find((r: Frame) => r.room.name === dm).room.with).toMatchObject({ name: 'cv_lea' });
    expect((await ned.http.get('/api/search?q=zebrafish')).body.results.map((r: Frame) => r.room.name)).toEqual(['cv-search']);
    expect((await ned.http.get(`/api/search?q=zebrafish&room=${dm}`)).status).toBe(403);
    expect((await ned.http.get('/api/search?q=secret')).body.results).toEqual([]);
    expect((await ned.http.get('/api/search?q=')).status).toBe(400);
    // Punctuation alone is no query, not an error from PostgreSQL.
    expect((await ned.http.get('/api/search?q=%26%7C!(')).body.results).toEqual([]);
  });
});

describe('search index', () => {
  it('finds an edited message by its new words only, and a message committed a moment ago', async () => {
    const quin = await newUser(server, 'cv_quin');
    const q = await quin.connect();
    await q.join('cv-index');
    const sent = await q.request({ t: 'send', room: 'cv-index', body: 'pelican sighting at noon', cid: 'i1' });
    const find = async (word: string) => (await quin.http.get(`/api/search?q=${word}&room=cv-index`)).body.results as Frame[];
    await until(async () => (await find('pelican')).length === 1, 5000, 'indexed after the commit');
    await q.request({ t: 'edit', room: 'cv-index', seq: sent.seq, body: 'heron sighting at noon' });
    expect(await find('pelican')).toEqual([]);
    expect((await find('heron')).map((r) => r.message.seq)).toEqual([sent.seq]);
    expect((await find('heron'))[0].message.edited).toEqual(expect.any(Number));
  });
});

describe('gaps', () => {
  it('an edit racing sends keeps every client in seq order with no holes', async () => {
    const oli = await newUser(server, 'cv_oli');
    const o = await oli.connect();
    const watcher = await (await newUser(server, 'cv_pia')).connect();
    await o.join('cv-race');
    const start = (await watcher.join('cv-race')).seq;
    const base = await o.request({ t: 'send', room: 'cv-race', body: 'v0', cid: 'base' });
    // All at once, without waiting (within the burst of 30): sends and edits meet in the room's lock.
    for (let i = 0; i < 12; i++) {
      o.send({ t: 'send', room: 'cv-race', body: `m${i}`, cid: `m${i}`, ref: `s${i}` });
      o.send({ t: 'edit', room: 'cv-race', seq: base.seq, body: `v${i + 1}`, ref: `e${i}` });
    }
    await o.until((fs) => fs.filter((f) => typeof f.ref === 'string' && /^[se]\d+$/.test(f.ref)).length === 24, 10_000);
    const acks = o.frames.filter((f) => typeof f.ref === 'string' && /^[se]\d+$/.test(f.ref));
    expect(acks.filter((a) => a.t !== "ack")).toEqual([]);
    const top = Math.max(...acks.map((a) => a.seq));
    expect(top).toBe(base.seq + 24);
    await until(() => watcher.all('msg', 'cv-race').some((m) => m.seq === top), 5000, 'watcher saw everything');
    const seqs = watcher.all('msg', 'cv-race').map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: top - start }, (_, i) => start + 1 + i));
  });
});
