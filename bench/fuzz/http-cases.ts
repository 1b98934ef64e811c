/**
 * Raw HTTP/1.1 requests for the fuzzer: well-formed requests to Parley's real routes, the same
 * with one to three things wrong (method, target, framing headers, Host, Expect, header counts
 * and sizes near and over the limits, bodies, chunked encodings, line endings, writes split or
 * cut short), several pipelined on one connection, WebSocket upgrade attempts and plain noise.
 * Each case is drawn from its own seeded Dice, so (seed, index) replays it.
 */
import { Dice } from './dice.js';

/** What the fuzzer knows of the server: its Host, a session cookie, rooms and users that exist. */
export interface HttpTarget {
  host: string;
  cookie: string;
  rooms: string[];
  users: string[];
}

export type HttpCaseKind = 'valid' | 'mutated' | 'pipelined' | 'upgrade' | 'noise';

export interface HttpCase {
  index: number;
  kind: HttpCaseKind;
  /** What was done to the request(s), for the report. */
  notes: string[];
  /** Written in order, `gapMs` apart. */
  writes: Buffer[];
  gapMs: number;
  /** The method of each request line written (a HEAD's answer has no body). */
  methods: string[];
  /** Final answers owed when every request is well-formed and complete: the case ends once they are in. */
  answers: number;
  /** One well-formed request to a real route: going unanswered is a finding. */
  mustAnswer: boolean;
}

interface Req {
  method: string;
  target: string;
  version: string;
  headers: Array<[string, string]>;
  body: Buffer;
  /** How the body is framed when rendered; 'none' writes no framing header at all. */
  framing: 'length' | 'chunked' | 'none';
  eol: string;
}

const KINDS = { valid: 30, mutated: 45, pipelined: 10, upgrade: 5, noise: 10 } as const;

export function httpCase(seed: number, index: number, t: HttpTarget): HttpCase {
  const d = Dice.forCase(seed, 'http', index);
  const kind = d.weighted(KINDS);
  const notes: string[] = [];
  if (kind === 'noise') return { index, kind, notes: ['noise'], ...noise(d), gapMs: 0, methods: [], answers: 1, mustAnswer: false };
  if (kind === 'pipelined') {
    const reqs = Array.from({ length: d.int(2, 5) }, () => {
      const r = validRequest(d, t, notes);
      if (d.chance(0.3)) mutate(d, r, t, notes);
      return r;
    });
    return { index, kind, notes, writes: [Buffer.concat(reqs.map(render))], gapMs: 0, methods: reqs.map((r) => r.method), answers: reqs.length, mustAnswer: false };
  }
  const req = kind === 'upgrade' ? upgradeRequest(d, t, notes) : validRequest(d, t, notes);
  if (kind === 'mutated' || (kind === 'upgrade' && d.chance(0.5))) mutate(d, req, t, notes);
  let bytes = render(req);
  let writes = [bytes];
  let gapMs = 0;
  if (kind === 'mutated' && d.chance(0.15)) {
    // Cut short (the server waits for the rest, then its idle timeout) or followed by noise.
    if (d.chance(0.5)) {
      bytes = bytes.subarray(0, d.int(1, Math.max(1, bytes.length - 1)));
      notes.push(`cut to ${bytes.length} bytes`);
    } else {
      bytes = Buffer.concat([bytes, noise(d).writes[0]!]);
      notes.push('noise after the request');
    }
    writes = [bytes];
  }
  if (d.chance(0.1)) {
    // Split at random points, a few ms apart: the server must reassemble.
    const cuts = [...new Set(Array.from({ length: d.int(1, 6) }, () => d.int(1, Math.max(1, bytes.length - 1))))].sort((a, b) => a - b);
    writes = [0, ...cuts].map((c, i, all) => bytes.subarray(c, all[i + 1] ?? bytes.length)).filter((b) => b.length > 0);
    gapMs = d.int(1, 15);
    notes.push(`split in ${writes.length} writes ${gapMs} ms apart`);
  }
  return { index, kind, notes, writes, gapMs, methods: [req.method], answers: 1, mustAnswer: kind === 'valid' || (kind === 'upgrade' && notes.length === 1) };
}

// ---- well-formed requests to the real routes ----

const ROUTES = {
  healthz: 12, readyz: 3, root: 5, asset: 3, me: 5, rooms: 7, roomCreate: 6, room: 6, history: 8,
  post: 10, users: 4, dms: 3, login: 2, signup: 1, head: 4, other: 4,
} as const;

function validRequest(d: Dice, t: HttpTarget, notes: string[]): Req {
  const route = d.weighted(ROUTES);
  notes.push(route);
  const room = d.chance(0.8) ? d.pick(t.rooms) : roomName(d);
  const authed = route !== 'login' && route !== 'signup' && d.chance(0.9);
  const get = (target: string, method = 'GET'): Req => request(d, t, method, target, authed);
  const post = (target: string, value: unknown): Req => {
    const r = request(d, t, 'POST', target, authed);
    r.headers.push(['Content-Type', d.pick(['application/json', 'application/json; charset=utf-8', 'application/json'])]);
    r.body = Buffer.from(jsonBody(d, value));
    r.framing = d.chance(0.93) ? 'length' : 'chunked';
    if (d.chance(0.2)) r.headers.push(['Origin', `http://${t.host}`]);
    return r;
  };
  switch (route) {
    case 'healthz': return get('/healthz');
    case 'readyz': return get('/readyz');
    case 'root': return get('/');
    case 'asset': return get(d.pick(['/index.html', '/favicon.ico', '/assets/app.js', '/assets/missing.css', '/robots.txt']));
    case 'me': return get('/api/me');
    case 'rooms': return get(d.pick(['/api/rooms', `/api/rooms?limit=${d.int(-5, 600)}`, `/api/rooms?after=${encodeURIComponent(room)}`]));
    case 'roomCreate': return post('/api/rooms', d.chance(0.7) ? { name: roomName(d), topic: d.chance(0.5) ? 'fuzz' : undefined } : { name: room });
    case 'room': return get(`/api/rooms/${encodeURIComponent(room)}`);
    case 'history': return get(`/api/rooms/${encodeURIComponent(room)}/messages${d.pick(['', `?limit=${d.int(-3, 120)}`, `?before=${d.int(-2, 1000)}&limit=${d.int(1, 100)}`, '?before=abc', '?limit=1e3'])}`);
    case 'post': return post(`/api/rooms/${encodeURIComponent(room)}/messages`, { body: d.pick(['hello', 'fuzz ☕', ' x ', '\u202etxet']), cid: d.chance(0.7) ? `c${d.int(0, 1e9)}` : undefined });
    case 'users': return get('/api/users');
    case 'dms': return post('/api/dms', { user: d.pick(t.users) });
    case 'login': return post('/api/auth/login', { username: d.pick(t.users), password: 'not the password' });
    case 'signup': return post('/api/auth/signup', { username: d.pick(['ab', 'UPPER_case', `fz${d.int(0, 1e9)}`]), password: d.pick(['short', 'long enough password']) });
    case 'head': return get(d.pick(['/healthz', '/', '/api/rooms', '/api/me']), 'HEAD');
    case 'other': return get(d.pick(['/api/rooms', '/healthz', '/api/me', '/nope', '/api/nope']), d.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']));
  }
}

function request(d: Dice, t: HttpTarget, method: string, target: string, authed: boolean): Req {
  const headers: Array<[string, string]> = [['Host', t.host]];
  if (authed) headers.push(['Cookie', t.cookie]);
  if (d.chance(0.5)) headers.push(['User-Agent', 'parley-fuzz']);
  if (d.chance(0.3)) headers.push(['Accept', d.pick(['*/*', 'application/json', 'text/html'])]);
  return { method, target, version: 'HTTP/1.1', headers, body: Buffer.alloc(0), framing: 'none', eol: '\r\n' };
}

function upgradeRequest(d: Dice, t: HttpTarget, notes: string[]): Req {
  notes.push('ws upgrade');
  const r = request(d, t, 'GET', '/ws', d.chance(0.8));
  r.headers.push(['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', d.bytes(16).toString('base64')]);
  if (d.chance(0.3)) r.headers.push(['Origin', d.pick([`http://${t.host}`, 'http://evil.example', 'null'])]);
  return r;
}

function roomName(d: Dice): string {
  return d.pick([`fz-${d.int(0, 40)}`, `fz-new-${d.int(0, 1e6)}`, 'dm-1-2', '-bad', 'UPPER', 'a'.repeat(65), 'x y', '', '%zz', 'é']);
}

// ---- JSON bodies, plausible and hostile ----

function jsonBody(d: Dice, plausible: unknown): string {
  switch (d.weighted({ plausible: 55, hostileFields: 20, anyValue: 8, broken: 8, deep: 3, huge: 3, overLimit: 3 })) {
    case 'plausible': return JSON.stringify(plausible);
    case 'hostileFields': {
      const o = { ...(plausible as Record<string, unknown>) };
      for (const k of Object.keys(o)) if (d.chance(0.5)) o[k] = hostileJsonValue(d);
      if (d.chance(0.2)) o[d.pick(['__proto__', 'constructor', 'toString', ''])] = hostileJsonValue(d);
      return JSON.stringify(o);
    }
    case 'anyValue': return JSON.stringify(hostileJsonValue(d)) ?? 'null';
    case 'broken': return d.pick(['{', '{"body":', "{'body':'x'}", '{"body":"x",}', '[1,2', 'nul', '\u0000', '{"a":1}{"b":2}', '', ' ', '\ufeff{"body":"x"}', '{"body":"\\ud800"}']);
    case 'deep': { const n = d.pick([100, 1000, 5000, 20_000]); return '['.repeat(n) + ']'.repeat(n); }
    case 'huge': return JSON.stringify({ ...(plausible as object), body: 'x'.repeat(d.int(4000, 60_000)) });
    case 'overLimit': return JSON.stringify({ body: 'y'.repeat(d.int(65_536, 200_000)) });
  }
  return '{}';
}

function hostileJsonValue(d: Dice): unknown {
  return d.pick([
    null, true, 0, -1, 1e308, -0, 2 ** 53 + 1, 1.5, '', ' ', '\u0000', '\ud800', '\u202e', '😀'.repeat(d.int(1, 3000)),
    'a'.repeat(d.int(60, 5000)), [], {}, [1, 'a', null], { nested: { deeper: [{}] } }, '<script>', "'; drop table users; --",
  ]);
}

// ---- mutations: one to three things wrong ----

type Mutation = (d: Dice, r: Req, t: HttpTarget) => string;

const MUTATIONS: Record<string, Mutation> = {
  method: (d, r) => (r.method = d.pick(['get', 'POST ', 'G@T', 'CONNECT', 'X'.repeat(d.int(20, 300)), 'PRI', 'M-SEARCH', 'BREW', '\u00e9'])),
  pathEscapes: (d, r) => (r.target = r.target.replace(/\/([^/?]*)/, (_, seg: string) => `/${seg}${d.pick(['%', '%zz', '%00', '%2F..%2F', '%252F', '%ff%fe', '%c0%af', '%E2%82%AC'])}`)),
  pathUnicode: (d, r) => (r.target = d.pick(['/é☕', '/api/rooms/\u00ff\u00fe', '/api/rooms/\ud83d\ude00/messages', '/\u0085', '/api/rooms/\u202e'])),
  pathLong: (d, r) => (r.target = `/api/rooms/${'p'.repeat(d.pick([8000, 8185, 8200, 9000, 30_000, 70_000]))}`),
  pathOdd: (d, r) => (r.target = d.pick(['*', 'http://127.0.0.1/healthz', '//healthz', '/../../etc/passwd', '/api//rooms', '/api/rooms/.', '/healthz#frag', '/?', '/api/rooms?a=1&a=2&&=&%=%'])),
  lengthRepeated: (d, r) => lengthHeaders(r, [String(r.body.length), String(d.chance(0.5) ? r.body.length : d.int(0, r.body.length + 5))]),
  lengthList: (_d, r) => lengthHeaders(r, [`${r.body.length}, ${r.body.length}`]),
  lengthNegative: (d, r) => lengthHeaders(r, [d.pick(['-1', `-${r.body.length}`, '-0', '-99999999999'])]),
  lengthGarbage: (d, r) => lengthHeaders(r, [d.pick(['+5', '0x10', '1e3', '5.0', 'abc', '', ' ', '5 5', '٣', '\t7', '00000000000000000000005'])]),
  lengthHuge: (d, r) => lengthHeaders(r, [d.pick(['65537', '4294967295', '4294967301', '999999999999999', '1000000000000000', '9'.repeat(40)])]),
  lengthWrong: (d, r) => lengthHeaders(r, [String(Math.max(0, r.body.length + d.pick([-10, -1, 1, 10, 1000])))]),
  codingWithLength: (d, r) => {
    r.framing = 'chunked';
    r.headers.push(['Content-Length', String(d.chance(0.5) ? r.body.length : 0)]);
    return 'Transfer-Encoding with Content-Length';
  },
  codingOdd: (d, r) => {
    r.framing = 'none';
    const coding = d.pick(['gzip', 'identity', 'chunked, gzip', 'gzip, chunked', 'Chunked', 'chunked, chunked', '', 'chunked;q=1', ' chunked']);
    r.headers.push(['Transfer-Encoding', coding]);
    r.body = /chunked/i.test(coding) ? Buffer.from(chunked(r.body, 1)) : r.body;
    return `Transfer-Encoding: ${coding}`;
  },
  codingTwice: (_d, r) => {
    r.framing = 'chunked';
    r.headers.push(['Transfer-Encoding', 'chunked']);
    return 'Transfer-Encoding twice';
  },
  chunkedBroken: (d, r) => {
    r.framing = 'none';
    r.headers.push(['Transfer-Encoding', 'chunked']);
    const body = r.body.toString('latin1');
    const broken = d.pick([
      `zz\r\n${body}\r\n0\r\n\r\n`, `-5\r\n${body}\r\n0\r\n\r\n`, `${'f'.repeat(20)}\r\n${body}\r\n0\r\n\r\n`,
      `${(body.length + 5).toString(16)}\r\n${body}\r\n0\r\n\r\n`, `${Math.max(0, body.length - 3).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      `${body.length.toString(16)};ext=1\r\n${body}\r\n0\r\n\r\n`, `${body.length.toString(16)}\r\n${body}\r\n0\r\nTrailer: x\r\n\r\n`,
      `${body.length.toString(16)}\r\n${body}`, `${body.length.toString(16)}\r\n${body}XX0\r\n\r\n`, `${body.length.toString(16)}\n${body}\n0\n\n`,
    ]);
    r.body = Buffer.from(broken, 'latin1');
    return 'chunked broken';
  },
  host: (d, r, t) => {
    r.headers = r.headers.filter(([k]) => k !== 'Host');
    const hosts = d.pick([[], [t.host, t.host], [t.host, 'evil.example'], ['a b'], ['x/y'], [''], ['h'.repeat(300)], ['[::1]:80'], ['[zz]'], [`${t.host}:99999`], ['127.0.0.1:0']]);
    for (const h of hosts) r.headers.unshift(['Host', h]);
    return `Host ${JSON.stringify(hosts)}`;
  },
  expect: (d, r) => {
    const v = d.pick(['100-continue', '100-Continue', 'foo', '100-continue, foo', '', '200-ok']);
    r.headers.push(['Expect', v]);
    return `Expect: ${v}`;
  },
  manyHeaders: (d, r) => {
    const n = d.pick([20, 35, 40, 45, 47, 48, 49, 50, 60, 100]);
    for (let i = 0; i < n; i++) r.headers.push([`X-F${i}`, 'v']);
    return `${n} extra headers`;
  },
  bigHeaders: (d, r) => {
    const total = d.pick([15_000, 16_300, 16_500, 17_000, 40_000, 120_000]);
    const each = d.chance(0.5) ? total : 2000;
    for (let sent = 0, i = 0; sent < total; sent += each, i++) r.headers.push([`X-Big${i}`, 'b'.repeat(Math.min(each, total - sent))]);
    return `${total} bytes of headers`;
  },
  badHeaderLine: (d, r) => {
    const line = d.pick(['Bad Name: x', 'NoColon', ': empty-name', 'X-Nul: a\u0000b', 'X-Ctl: \u0001\u007f', 'X-High: \u00ff\u00fe', 'X-Fold: a\r\n b', 'X-Fold: a\r\n\tb', ' X-Lead: space', 'X-Trail : space']);
    const [k, ...v] = line.split(':');
    r.headers.splice(d.int(0, r.headers.length), 0, [k!, v.join(':').replace(/^ /, '')]);
    return `header line ${JSON.stringify(line)}`;
  },
  contentType: (d, r) => {
    r.headers = r.headers.filter(([k]) => k !== 'Content-Type');
    const v = d.pick([undefined, 'text/plain', 'application/jsonx', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'APPLICATION/JSON', '']);
    if (v !== undefined) r.headers.push(['Content-Type', v]);
    return `Content-Type ${JSON.stringify(v)}`;
  },
  connection: (d, r) => {
    const v = d.pick(['close', 'keep-alive', 'Upgrade', 'close, close', 'garbage\u0001']);
    r.headers.push(['Connection', v]);
    return `Connection: ${v}`;
  },
  cookie: (d, r) => {
    r.headers = r.headers.filter(([k]) => k !== 'Cookie');
    const v = d.pick(['parley=garbage', 'parley=', '=;;=', `parley=${'x'.repeat(5000)}`, Array.from({ length: 60 }, (_, i) => `c${i}=v`).join('; '), 'parley="quoted"']);
    r.headers.push(['Cookie', v]);
    return 'odd cookie';
  },
  origin: (d, r) => {
    const v = d.pick(['http://evil.example', 'null', 'not a url', 'http://127.0.0.1:1', '']);
    r.headers.push(['Origin', v]);
    return `Origin: ${v}`;
  },
  version: (d, r) => (r.version = d.pick(['HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 extra', '', 'HTTP/1.10', 'HTTP/1'])),
  lineEndings: (d, r) => (r.eol = d.pick(['\n', '\r', '\r\r\n', '\n\r'])),
  body: (d, r) => {
    r.body = Buffer.from(jsonBody(d, { body: 'x', cid: 'c1' }));
    if (r.framing === 'none') r.framing = 'length';
    if (!r.headers.some(([k]) => k === 'Content-Type')) r.headers.push(['Content-Type', 'application/json']);
    return `body of ${r.body.length} bytes`;
  },
};

function mutate(d: Dice, r: Req, t: HttpTarget, notes: string[]): void {
  const names = d.shuffle(Object.keys(MUTATIONS)).slice(0, d.int(1, 3));
  for (const name of names) notes.push(`${name}: ${String(MUTATIONS[name]!(d, r, t)).slice(0, 80)}`);
}

/** Sets the Content-Length lines written, in place of the one the framing would add. */
function lengthHeaders(r: Req, values: string[]): string {
  r.framing = 'none';
  if (r.body.length === 0) r.body = Buffer.from('{"body":"x"}');
  for (const v of values) r.headers.push(['Content-Length', v]);
  return `Content-Length ${JSON.stringify(values)}`;
}

// ---- rendering and noise ----

function chunked(body: Buffer, pieces: number): string {
  const text = body.toString('latin1');
  const size = Math.max(1, Math.ceil(text.length / pieces));
  let out = '';
  for (let i = 0; i < text.length; i += size) {
    const part = text.slice(i, i + size);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

function render(r: Req): Buffer {
  const headers = [...r.headers];
  let body = r.body;
  if (r.framing === 'length') headers.push(['Content-Length', String(body.length)]);
  if (r.framing === 'chunked') {
    headers.push(['Transfer-Encoding', 'chunked']);
    body = Buffer.from(chunked(body, 1 + (body.length % 4)), 'latin1');
  }
  const head = `${r.method} ${r.target}${r.version ? ` ${r.version}` : ''}${r.eol}${headers.map(([k, v]) => `${k}: ${v}${r.eol}`).join('')}${r.eol}`;
  // latin1 keeps bytes as written; the unicode paths go out as UTF-8.
  return Buffer.concat([Buffer.from(head, /[^\u0000-\u00ff]/.test(head) ? 'utf8' : 'latin1'), body]);
}

function noise(d: Dice): { writes: Buffer[] } {
  switch (d.weighted({ bytes: 4, printable: 3, requestLine: 3, headOnly: 2, tls: 1 })) {
    case 'bytes': return { writes: [d.bytes(d.size(4096) + 1)] };
    case 'printable': return { writes: [Buffer.from(`${d.text(d.size(2000) + 1, 'GETPOS /:HTtp1.\r\n ')}\r\n\r\n`)] };
    case 'requestLine': return { writes: [Buffer.from(`${d.pick(['GET', 'POST', 'X'])} ${d.text(d.int(0, 50), '/abc%?&=')} ${d.pick(['HTTP/1.1', 'HTTP/1.0', ''])}\r\n\r\n`)] };
    case 'headOnly': return { writes: [Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\n${d.text(d.int(0, 100), 'abc: \r\n')}`)] };
    case 'tls': return { writes: [Buffer.from('16030100a5010000a10303', 'hex')] };
  }
  return { writes: [Buffer.alloc(1)] };
}
