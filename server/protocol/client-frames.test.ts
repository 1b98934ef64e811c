import { describe, expect, it } from 'vitest';
import { frameParser, messageBody, messageCid } from './client-frames.js';

const parse = frameParser({ maxBodyChars: 4000 });

const EMOJI = '\u{1F600}'; // one code point, two UTF-16 units
const send = (extra: Record<string, unknown>) => ({ t: 'send', room: 'lobby', body: 'hi', cid: 'c1', ...extra });

type Want = 'ok' | 'bad_frame' | 'invalid';

const table: Array<[what: string, frame: unknown, want: Want]> = [
  // Not a map at all.
  ['a number', 1, 'bad_frame'],
  ['a string', 'join', 'bad_frame'],
  ['null', null, 'bad_frame'],
  ['undefined', undefined, 'bad_frame'],
  ['an array', [{ t: 'join', room: 'lobby' }], 'bad_frame'],
  ['bytes', new Uint8Array([1, 2]), 'bad_frame'],
  ['a Buffer', Buffer.from('{"t":"join"}'), 'bad_frame'],
  ['a Date (a timestamp ext decodes to one)', new Date(0), 'bad_frame'],

  // t missing, of the wrong type, unknown, or an Object.prototype name.
  ['an empty map', {}, 'bad_frame'],
  ['t a number', { t: 1, room: 'lobby' }, 'bad_frame'],
  ['unknown t', { t: 'shout', room: 'lobby' }, 'bad_frame'],
  ['t in upper case', { t: 'JOIN', room: 'lobby' }, 'bad_frame'],
  ['t = toString', { t: 'toString', room: 'lobby' }, 'bad_frame'],
  ['t = __proto__', { t: '__proto__', room: 'lobby' }, 'bad_frame'],
  ['t = constructor', { t: 'constructor', room: 'lobby' }, 'bad_frame'],
  ['t = hasOwnProperty', { t: 'hasOwnProperty', room: 'lobby' }, 'bad_frame'],

  // join
  ['join', { t: 'join', room: 'lobby' }, 'ok'],
  ['join with since 0', { t: 'join', room: 'lobby', since: 0 }, 'ok'],
  ['join with a large since', { t: 'join', room: 'lobby', since: 2 ** 31 }, 'ok'],
  ['join, one-character room', { t: 'join', room: 'a' }, 'ok'],
  ['join, 64-character room', { t: 'join', room: 'a'.repeat(64) }, 'ok'],
  ['join, room with - and _', { t: 'join', room: '9a-b_c' }, 'ok'],
  ['join without room', { t: 'join' }, 'bad_frame'],
  ['join, room a number', { t: 'join', room: 5 }, 'bad_frame'],
  ['join, room null', { t: 'join', room: null }, 'bad_frame'],
  ['join, room an array', { t: 'join', room: ['lobby'] }, 'bad_frame'],
  ['join, empty room', { t: 'join', room: '' }, 'invalid'],
  ['join, 65-character room', { t: 'join', room: 'a'.repeat(65) }, 'invalid'],
  ['join, upper-case room', { t: 'join', room: 'Lobby' }, 'invalid'],
  ['join, room starting with -', { t: 'join', room: '-lobby' }, 'invalid'],
  ['join, room starting with _', { t: 'join', room: '_lobby' }, 'invalid'],
  ['join, room with a space', { t: 'join', room: 'the lobby' }, 'invalid'],
  ['join, room with a newline at the end', { t: 'join', room: 'lobby\n' }, 'invalid'],
  ['join, room with a dot', { t: 'join', room: 'a.b' }, 'invalid'],
  ['join, non-ASCII room', { t: 'join', room: 'caf\u00e9' }, 'invalid'],
  ['join, since a string', { t: 'join', room: 'lobby', since: '3' }, 'bad_frame'],
  ['join, since null', { t: 'join', room: 'lobby', since: null }, 'bad_frame'],
  ['join, since a fraction', { t: 'join', room: 'lobby', since: 1.5 }, 'bad_frame'],
  ['join, since NaN', { t: 'join', room: 'lobby', since: NaN }, 'bad_frame'],
  ['join, since negative', { t: 'join', room: 'lobby', since: -1 }, 'invalid'],
  ['join, since beyond safe integers', { t: 'join', room: 'lobby', since: 2 ** 53 }, 'invalid'],

  // leave and typing
  ['leave', { t: 'leave', room: 'lobby' }, 'ok'],
  ['leave without room', { t: 'leave' }, 'bad_frame'],
  ['leave, bad room', { t: 'leave', room: 'Lobby' }, 'invalid'],
  ['typing', { t: 'typing', room: 'lobby' }, 'ok'],
  ['typing, room a number', { t: 'typing', room: 1 }, 'bad_frame'],
  ['typing, bad room', { t: 'typing', room: 'no/slash' }, 'invalid'],

  // send
  ['send', send({}), 'ok'],
  ['send, body of 4000 characters', send({ body: 'x'.repeat(4000) }), 'ok'],
  ['send, body of 4000 emoji (8000 UTF-16 units)', send({ body: EMOJI.repeat(4000) }), 'ok'],
  ['send, body of 4001 characters', send({ body: 'x'.repeat(4001) }), 'invalid'],
  ['send, body of 4001 emoji', send({ body: EMOJI.repeat(4001) }), 'invalid'],
  ['send, body with surrounding spaces', send({ body: '  hi  ' }), 'ok'],
  ['send, one-character body', send({ body: '.' }), 'ok'],
  ['send, empty body', send({ body: '' }), 'invalid'],
  ['send, body only spaces', send({ body: '   ' }), 'invalid'],
  ['send, body only tabs and newlines', send({ body: '\t\n\r\n' }), 'invalid'],
  ['send, body only Unicode spaces', send({ body: '\u00a0\u2003\u3000\u2028\ufeff' }), 'invalid'],
  ['send without body', { t: 'send', room: 'lobby', cid: 'c1' }, 'bad_frame'],
  ['send, body a number', send({ body: 42 }), 'bad_frame'],
  ['send, body bytes', send({ body: new Uint8Array([104, 105]) }), 'bad_frame'],
  ['send, body null', send({ body: null }), 'bad_frame'],
  ['send, cid of 64 characters', send({ cid: 'c'.repeat(64) }), 'ok'],
  ['send, cid of 64 emoji', send({ cid: EMOJI.repeat(64) }), 'ok'],
  ['send, one-character cid', send({ cid: 'c' }), 'ok'],
  ['send, cid of 65 characters', send({ cid: 'c'.repeat(65) }), 'invalid'],
  ['send, cid of 65 emoji', send({ cid: EMOJI.repeat(65) }), 'invalid'],
  ['send, empty cid', send({ cid: '' }), 'invalid'],
  ['send without cid', { t: 'send', room: 'lobby', body: 'hi' }, 'bad_frame'],
  ['send, cid a number', send({ cid: 7 }), 'bad_frame'],
  ['send without room', { t: 'send', body: 'hi', cid: 'c1' }, 'bad_frame'],
  // PostgreSQL text cannot hold U+0000.
  ['send, body with U+0000', send({ body: 'a\u0000b' }), 'invalid'],
  ['send, body only U+0000', send({ body: '\u0000' }), 'invalid'],
  ['send, cid with U+0000', send({ cid: 'c\u0000' }), 'invalid'],
  // PostgreSQL stores a lone surrogate as U+FFFD: the cid would come back changed.
  ['send, cid with a lone surrogate', send({ cid: 'c\ud800' }), 'invalid'],
  ['send, body with a lone low surrogate', send({ body: 'a\udc00b' }), 'invalid'],
  ['send, body with U+0001', send({ body: 'a\u0001b' }), 'ok'],
  ['send, bad room', send({ room: 'LOBBY' }), 'invalid'],

  // ref: a string of at most 128 characters or an integer; anything else refuses the frame.
  ['ref a string', send({ ref: 'r1' }), 'ok'],
  ['ref an empty string', send({ ref: '' }), 'ok'],
  ['ref of 128 characters', send({ ref: 'r'.repeat(128) }), 'ok'],
  ['ref 0', send({ ref: 0 }), 'ok'],
  ['ref negative', send({ ref: -5 }), 'ok'],
  ['ref the largest safe integer', send({ ref: Number.MAX_SAFE_INTEGER }), 'ok'],
  ['ref of 129 characters', send({ ref: 'r'.repeat(129) }), 'invalid'],
  ['ref beyond safe integers', send({ ref: 2 ** 53 }), 'invalid'],
  ['ref a fraction', send({ ref: 1.5 }), 'bad_frame'],
  ['ref null', send({ ref: null }), 'bad_frame'],
  ['ref a map', send({ ref: { id: 1 } }), 'bad_frame'],
  ['ref a boolean', send({ ref: true }), 'bad_frame'],

  // Unknown extra fields are ignored.
  ['an extra field', send({ extra: 'x', priority: 9 }), 'ok'],
];

describe('frameParser', () => {
  it.each(table)('%s → %s', (_what, frame, want) => {
    const r = parse(frame);
    if (want === 'ok') {
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    } else {
      expect(r, JSON.stringify(r)).toMatchObject({ ok: false, code: want });
      if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it('a valid frame keeps the contract fields (ref included) and drops unknown ones', () => {
    expect(parse(send({ ref: 'r1', extra: 1 }))).toEqual({ ok: true, frame: { t: 'send', room: 'lobby', body: 'hi', cid: 'c1', ref: 'r1' } });
    expect(parse({ t: 'join', room: 'lobby', since: 4, ref: 9 })).toEqual({ ok: true, frame: { t: 'join', room: 'lobby', since: 4, ref: 9 } });
    // The body is passed on as written: no trimming, no normalization.
    const body = '  e\u0301 ' + EMOJI + '  ';
    expect(parse(send({ body }))).toMatchObject({ ok: true, frame: { body } });
  });

  describe('ref on a refusal', () => {
    const refusals: Array<[what: string, frame: Record<string, unknown>]> = [
      ['unknown t', { t: 'shout' }],
      ['no t', {}],
      ['a missing field', { t: 'join' }],
      ['an out-of-bounds value', { t: 'send', room: 'lobby', body: ' ', cid: 'c' }],
      ['a bad room', { t: 'typing', room: 'BAD' }],
    ];

    it.each(refusals)('%s: a string ref is echoed', (_what, frame) => {
      expect(parse({ ...frame, ref: 'abc' })).toMatchObject({ ok: false, ref: 'abc' });
      expect(parse({ ...frame, ref: '' })).toMatchObject({ ok: false, ref: '' });
      expect(parse({ ...frame, ref: 'r'.repeat(128) })).toMatchObject({ ok: false, ref: 'r'.repeat(128) });
    });

    it.each(refusals)('%s: an integer ref is echoed', (_what, frame) => {
      expect(parse({ ...frame, ref: 0 })).toMatchObject({ ok: false, ref: 0 });
      expect(parse({ ...frame, ref: -7 })).toMatchObject({ ok: false, ref: -7 });
      expect(parse({ ...frame, ref: Number.MAX_SAFE_INTEGER })).toMatchObject({ ok: false, ref: Number.MAX_SAFE_INTEGER });
    });

    it.each(refusals)('%s: without a ref, none is made up', (_what, frame) => {
      const r = parse(frame);
      expect(r.ok).toBe(false);
      expect(r).not.toHaveProperty('ref', expect.anything());
    });

    it('a ref that is not a valid ref is not echoed (and refuses the frame)', () => {
      for (const ref of ['r'.repeat(129), 1.5, 2 ** 53, -(2 ** 53), NaN, Infinity, null, true, { a: 1 }, ['x']]) {
        const r = parse(send({ ref }));
        expect(r.ok, String(ref)).toBe(false);
        if (!r.ok) expect(r.ref, String(ref)).toBeUndefined();
      }
    });

    it('a frame that is not a map carries no ref', () => {
      for (const v of [null, 7, 'x', [1], new Uint8Array(1)]) {
        const r = parse(v);
        expect(r).toMatchObject({ ok: false, code: 'bad_frame' });
        if (!r.ok) expect(r.ref).toBeUndefined();
      }
    });
  });

  it('the body limit is configurable and counted in code points', () => {
    const small = frameParser({ maxBodyChars: 3 });
    expect(small(send({ body: 'abc' })).ok).toBe(true);
    expect(small(send({ body: 'abcd' }))).toMatchObject({ ok: false, code: 'invalid' });
    expect(small(send({ body: EMOJI.repeat(3) })).ok).toBe(true);
    expect(small(send({ body: EMOJI.repeat(2) + 'ab' }))).toMatchObject({ ok: false, code: 'invalid' });
    // A combining sequence is two code points (e + U+0301), even if it shows as one glyph.
    expect(small(send({ body: 'e\u0301e' })).ok).toBe(true);
    expect(small(send({ body: 'e\u0301e\u0301' }))).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('a lone surrogate is refused, paired ones are characters', () => {
    const small = frameParser({ maxBodyChars: 2 });
    expect(small(send({ body: '\ud83dx' }))).toMatchObject({ ok: false, code: 'invalid' });
    expect(small(send({ body: 'x\ude00' }))).toMatchObject({ ok: false, code: 'invalid' });
    expect(small(send({ body: '\ud83d\ude00x' })).ok).toBe(true);
  });

  it('a ref is echoed on an error exactly when a valid frame would accept it', () => {
    for (const r of [EMOJI.repeat(64), EMOJI.repeat(65), 'x'.repeat(128), 'x'.repeat(129), 2 ** 53 - 1, 2 ** 53]) {
      const accepted = parse(send({ ref: r })).ok;
      const refused = parse(send({ ref: r, body: '' }));
      expect(refused.ok).toBe(false);
      expect(refused.ok === false && refused.ref, String(r)).toBe(accepted ? r : undefined);
    }
  });

  it('messageBody and messageCid (shared with HTTP) apply the same rules', () => {
    const body = messageBody(5);
    expect(body.safeParse(EMOJI.repeat(5)).success).toBe(true);
    expect(body.safeParse(EMOJI.repeat(6)).success).toBe(false);
    expect(body.safeParse(' \n ').success).toBe(false);
    expect(messageCid.safeParse(EMOJI.repeat(64)).success).toBe(true);
    expect(messageCid.safeParse('x'.repeat(65)).success).toBe(false);
    expect(messageCid.safeParse('').success).toBe(false);
  });

  it('the parser does not mutate its input', () => {
    const frame = send({ ref: 'r', extra: { deep: [1] } });
    const copy = structuredClone(frame);
    parse(frame);
    expect(frame).toEqual(copy);
  });
});
