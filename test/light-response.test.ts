/**
 * LightResponse (server/uws-fetch/light-response.ts) beside undici's Response: for the same
 * body and init, everything a reader can see is the same, and the held body is what the
 * bridge writes. No server: the class is plain data until something needs the real one.
 */
import { describe, expect, it } from 'vitest';
import { LightResponse } from '../server/uws-fetch/light-response.js';

const Native = globalThis.Response;
const light = (body?: BodyInit | null, init?: ResponseInit) => new LightResponse(body, init) as unknown as Response;

async function seen(r: Response) {
  return {
    status: r.status,
    statusText: r.statusText,
    ok: r.ok,
    type: r.type,
    url: r.url,
    redirected: r.redirected,
    headers: [...r.headers],
    cookies: r.headers.getSetCookie(),
    text: await r.text(),
    bodyUsed: r.bodyUsed,
  };
}

const CASES: Array<[string, BodyInit | null | undefined, ResponseInit | undefined]> = [
  ['no body, no init', undefined, undefined],
  ['null body, 204', null, { status: 204 }],
  ['text', 'hello', undefined],
  ['text with a type and status', '{"a":1}', { status: 201, statusText: 'Made', headers: { 'Content-Type': 'application/json' } }],
  ['bytes', new TextEncoder().encode('bytes ☕'), { headers: [['x-a', '1'], ['X-A', '2']] }],
  ['cookies', 'c', { headers: (() => { const h = new Headers(); h.append('set-cookie', 'a=1'); h.append('set-cookie', 'b=2'); return h; })() }],
  ['a stream', new Blob(['from a blob']).stream(), { status: 299 }],
  ['a blob', new Blob(['blob'], { type: 'text/x-blob' }), undefined],
];

describe('LightResponse', () => {
  it.each(CASES)('reads like the real Response: %s', async (_name, body, init) => {
    // Streams are read once: make one for each side.
    const again = (b: typeof body) => (b instanceof ReadableStream ? new Blob(['from a blob']).stream() : b);
    expect(await seen(light(body, init))).toEqual(await seen(new Native(again(body), init)));
  });

  it('holds string and byte bodies, and hands a stream or a blob to the real Response', () => {
    expect(LightResponse.holds(light('x'))).toBe(true);
    expect(LightResponse.holds(light(new Uint8Array([1])))).toBe(true);
    expect(LightResponse.holds(light(null))).toBe(true);
    expect(LightResponse.holds(light(new Blob(['x'])))).toBe(false);
    expect(LightResponse.holds(light(new Blob(['x']).stream()))).toBe(false);
  });

  it('gives its held answer once, with a snapshot of the headers and a copy of the bytes', () => {
    const headers = new Headers({ 'x-one': '1' });
    const bytes = new Uint8Array([1, 2, 3]);
    const r = light(bytes, { status: 202, headers });
    headers.set('x-one', 'changed later');
    bytes[0] = 9;
    const held = LightResponse.take(r)!;
    expect(held.status).toBe(202);
    expect(held.headers.get('x-one')).toBe('1');
    expect([...(held.body as Uint8Array)]).toEqual([1, 2, 3]);
    // A Buffer too (its slice() would have made a view).
    const buffer = Buffer.from([4, 5]);
    const fromBuffer = LightResponse.take(light(buffer))!;
    buffer[0] = 0;
    expect([...(fromBuffer.body as Uint8Array)]).toEqual([4, 5]);
    expect(r.bodyUsed).toBe(true);
    expect(LightResponse.take(r)).toBeUndefined();
    expect(LightResponse.take(new Native('real'))).toBeUndefined();
  });

  it('fails where the real Response fails, with the same error types', () => {
    for (const init of [{ status: 199 }, { status: 600 }, { status: Number.NaN }]) {
      expect(() => new Native('x', init)).toThrow(RangeError);
      expect(() => light('x', init)).toThrow(RangeError);
    }
    // A status is converted as undici converts it: truncated, modulo 65536.
    for (const status of [200.7, 65736, 599.9, '201' as unknown as number]) expect(light('x', { status }).status).toBe(new Native('x', { status }).status);
    for (const status of [-65336, null, true] as unknown as number[]) {
      expect(() => new Native('x', { status })).toThrow(RangeError);
      expect(() => light('x', { status })).toThrow(RangeError);
    }
    for (const status of [204, 205, 304]) {
      expect(() => new Native('x', { status })).toThrow(TypeError);
      expect(() => light('x', { status })).toThrow(TypeError);
    }
    expect(() => new Native('x', { statusText: 'bad\nline' })).toThrow(TypeError);
    expect(() => light('x', { statusText: 'bad\nline' })).toThrow(TypeError);
  });

  it('is a Response both ways round, and has the static methods', async () => {
    const r = light('x');
    expect(r).toBeInstanceOf(Native);
    expect(new Native('y')).toBeInstanceOf(LightResponse);
    expect(Object.prototype.toString.call(r)).toBe('[object Response]');
    const json = (LightResponse as unknown as typeof Response).json({ a: 1 }, { status: 201 });
    expect(json.status).toBe(201);
    expect(await json.json()).toEqual({ a: 1 });
  });

  it('builds the real Response when its body stream is asked for, and answers from it from then on', async () => {
    const r = light('streamed', { status: 203 });
    const body = r.body!;
    expect(body).toBeInstanceOf(ReadableStream);
    expect(LightResponse.holds(r)).toBe(false);
    expect(LightResponse.take(r)).toBeUndefined();
    expect(await new Native(body).text()).toBe('streamed');
    expect(r.bodyUsed).toBe(true);
    expect(r.status).toBe(203);
  });

  it("stays light when copied from its own untouched body stream (Hono's late header)", async () => {
    const first = light('{"late":true}', { status: 201, headers: { 'content-type': 'application/json' } });
    const copy = light(first.body, first);
    expect(LightResponse.holds(copy)).toBe(true);
    expect(copy.status).toBe(201);
    expect(await copy.json()).toEqual({ late: true });
    // A stream someone is reading is not taken back: the copy fails as a real one would.
    const other = light('read');
    other.body!.getReader();
    expect(() => light(other.body, other)).toThrow(TypeError);
  });

  it('clones: two independent bodies', async () => {
    const r = light('twice', { headers: { 'x-a': '1' } });
    const c = r.clone();
    expect(await c.text()).toBe('twice');
    expect(await r.text()).toBe('twice');
    expect(c.headers.get('x-a')).toBe('1');
  });

  it("remembers the length of the answer a bodiless one was made from (Hono's HEAD)", () => {
    const get = light('{"twelve":12}', { headers: { 'content-type': 'application/json' } });
    const head = light(null, get);
    const held = LightResponse.take(head)!;
    expect(held.body).toBeNull();
    expect(held.lengthOfSource).toBe(13);
    expect(held.headers.get('content-type')).toBe('application/json');
    expect(LightResponse.take(light(null, { status: 200 }))!.lengthOfSource).toBeUndefined();
  });
});
