/**
 * What a first user does against a Parley started the way the Docker image starts it
 * (`sh server/start.sh`): the page and its script load, two people sign up, one makes a
 * room, both join it over WebSockets, see each other arrive, exchange messages, read
 * history over HTTP, and a logout revokes the session. Run by test/platform/run.sh inside
 * the Debian 13 root, against the server it started there:
 *
 *   node --import tsx test/platform/smoke.ts http://127.0.0.1:PORT
 *
 * Each step prints a line; the first that fails throws and the process exits non-zero.
 */
import { Client, newUser } from '../harness.js';

const base = process.argv[2];
if (!base) throw new Error('usage: smoke.ts <base url>');

function check(ok: unknown, what: string, seen?: unknown): void {
  if (!ok) throw new Error(`${what}${seen === undefined ? '' : `: saw ${JSON.stringify(seen)}`}`);
  console.log(`ok  ${what}`);
}

const page = await fetch(base + '/');
const html = await page.text();
check(page.status === 200 && html.includes('<script'), 'GET / serves the client page', page.status);
const script = html.match(/src="([^"]+\.js)"/)?.[1];
check(script && (await fetch(base + script)).status === 200, `the page's script ${script} loads`);
check((await fetch(base + '/readyz')).status === 200, '/readyz is 200');

const stamp = Date.now().toString(36);
const ana = await newUser({ url: base }, `ana${stamp}`);
const ben = await newUser({ url: base }, `ben${stamp}`);
check(ana.user.id !== ben.user.id && ana.http.cookie !== ben.http.cookie, 'two users signed up, each with a session of their own');

const room = `platform-${stamp}`;
const made = await ana.http.post('/api/rooms', { name: room, topic: 'made on Debian 13' });
check(made.status === 201, `POST /api/rooms made #${room}`, made.body);

const anaWs = await ana.connect();
const anaJoined = await anaWs.join(room);
check(anaJoined.t === 'joined', 'ana joined over a WebSocket', anaJoined);
const benWs = await ben.connect();
const benJoined = await benWs.join(room);
check(benJoined.t === 'joined' && benJoined.members.length === 2, 'ben joined and saw two members', benJoined.members);
const arrival = await anaWs.next((f) => f.t === 'presence' && f.room === room);
check(JSON.stringify(arrival).includes(ben.user.name), "ana's members panel heard ben arrive", arrival);

const ack = await anaWs.request({ t: 'send', room, cid: 'hello', body: 'hello from trixie' });
check(ack.t === 'ack' && ack.seq >= 1, 'ana sent a message and it was acknowledged', ack);
const heard = await benWs.next((f) => f.t === 'msg' && f.room === room);
check(heard.body === 'hello from trixie' && heard.seq === ack.seq, 'ben received it with the same seq', heard);

const reply = await benWs.request({ t: 'send', room, cid: 'reply', body: 'and back' });
check(reply.t === 'ack' && reply.seq > ack.seq, "ben's reply was acknowledged after it", reply);

const history = await ben.http.get(`/api/rooms/${room}/messages`);
const bodies = (history.body?.messages ?? []).map((m: { body: string }) => m.body);
check(history.status === 200 && bodies.join('|') === 'hello from trixie|and back', 'history over HTTP holds both, in order', history.body);

const cookie = ana.http.cookie;
check((await ana.http.post('/api/auth/logout')).status === 204, 'ana logged out');
const replay = new Client(base);
replay.cookie = cookie;
const after = await replay.get('/api/me');
check(after.status === 401, 'her old cookie is refused after logout', after.status);

anaWs.close();
benWs.close();
console.log('smoke: every step passed');
