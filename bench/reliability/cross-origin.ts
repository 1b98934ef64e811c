/**
 * 9. Cross-site request forgery and cross-site WebSocket hijacking, quick checks: a
 * state-changing request or a WebSocket upgrade carrying a foreign Origin (with a valid
 * session cookie, as a browser would attach it) is refused; a tampered cookie is not a
 * session, nor is a logged-out one's. Each refusal is paired with the same request from the
 * right origin, which works.
 */
import { Client } from '../../test/harness.js';
import { WsClient } from '../../test/ws-client.js';
import { withParley } from './parley-process.js';
import { Report, answerKey, jsonPost, timedFetch, type Scenario } from './scenario.js';

const FOREIGN = 'http://evil.example';

/** The HTTP status of a WebSocket upgrade: 101 when it opened, else the refusal's. */
async function upgradeStatus(url: string, cookie: string | undefined, headers: Record<string, string> = {}): Promise<number> {
  try {
    const ws = await WsClient.connect(url, cookie, headers);
    ws.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

/** The cookie with one character of its sealed value changed. */
function tampered(cookie: string): string {
  const i = cookie.indexOf('=') + 10;
  return cookie.slice(0, i) + (cookie[i] === 'A' ? 'B' : 'A') + cookie.slice(i + 1);
}

export const crossOrigin: Scenario = {
  id: 9,
  title: 'CSRF and CSWSH: foreign Origin, tampered cookie',
  async run(ctx) {
    const report = new Report();
    let checks = 0;
    const expect = (what: string, got: string | number, want: string | number) => {
      checks++;
      report.figure(what, String(got));
      report.check(String(got).startsWith(String(want)), `${what}: got ${got}, expected ${want}`);
    };
    await withParley(report, 'cross-origin', {}, ctx, async (parley) => {
      const url = parley.url;
      const user = new Client(url);
      await user.signup('target');
      const cookie = user.cookie!;
      const own = new URL(url).origin;

      expect('POST /api/rooms, Origin http://evil.example, valid cookie', answerKey(await jsonPost(`${url}/api/rooms`, { name: 'csrf-room' }, { cookie, origin: FOREIGN })), 403);
      expect('POST /api/rooms/…/messages, foreign Origin', answerKey(await jsonPost(`${url}/api/rooms/lobby/messages`, { body: 'forged' }, { cookie, origin: FOREIGN })), 403);
      expect('POST /api/auth/password, foreign Origin', answerKey(await jsonPost(`${url}/api/auth/password`, { current: 'correct horse battery', next: 'forged password' }, { cookie, origin: FOREIGN })), 403);
      expect('POST /api/auth/login, foreign Origin', answerKey(await jsonPost(`${url}/api/auth/login`, { username: 'target', password: 'correct horse battery' }, { origin: FOREIGN })), 403);
      expect('POST /api/rooms, Origin null', answerKey(await jsonPost(`${url}/api/rooms`, { name: 'csrf-room' }, { cookie, origin: 'null' })), 403);
      expect('POST /api/rooms, own Origin (control)', answerKey(await jsonPost(`${url}/api/rooms`, { name: 'csrf-room' }, { cookie, origin: own })), 201);
      expect('POST /api/rooms/…/messages as a form (text/plain), no Origin', answerKey(await timedFetch(`${url}/api/rooms/csrf-room/messages`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{"body":"forged"}' })), 415);

      expect('WS upgrade, foreign Origin, valid cookie', await upgradeStatus(url, cookie, { origin: FOREIGN }), 403);
      expect('WS upgrade, Origin null, valid cookie', await upgradeStatus(url, cookie, { origin: 'null' }), 403);
      expect('WS upgrade, own Origin (control)', await upgradeStatus(url, cookie, { origin: own }), 101);
      expect('WS upgrade, no cookie', await upgradeStatus(url, undefined, { origin: own }), 401);
      expect('WS upgrade, tampered cookie', await upgradeStatus(url, tampered(cookie), { origin: own }), 401);
      expect('GET /api/me, tampered cookie', answerKey(await timedFetch(`${url}/api/me`, { headers: { cookie: tampered(cookie) } })), 401);
      expect('GET /api/me, made-up cookie value', answerKey(await timedFetch(`${url}/api/me`, { headers: { cookie: `parley_session=${'x'.repeat(200)}` } })), 401);
      expect('GET /api/me, valid cookie (control)', answerKey(await timedFetch(`${url}/api/me`, { headers: { cookie } })), 200);

      // A session that was logged out: its cookie is still well sealed, but revoked.
      const other = new Client(url);
      await other.post('/api/auth/login', { username: 'target', password: 'correct horse battery' });
      const revoked = other.cookie!;
      await other.post('/api/auth/logout');
      expect('GET /api/me, cookie of a logged-out session', answerKey(await timedFetch(`${url}/api/me`, { headers: { cookie: revoked } })), 401);
      expect('WS upgrade, cookie of a logged-out session', await upgradeStatus(url, revoked, { origin: own }), 401);
    }).catch((err) => report.aborted(err));
    return report.result(
      `${checks} requests: state-changing POSTs and WebSocket upgrades with a foreign or null Origin and a valid cookie, a form-encoded post without Origin, ` +
        `tampered, made-up and logged-out cookies, each beside a control from the right origin`,
    );
  },
};
