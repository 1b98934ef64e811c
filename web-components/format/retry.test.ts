import { describe, expect, it } from 'vitest';
import { HttpError, retryAfterMs } from '../api/http.js';
import { errorSentence, limitSentence, retryText, shownError, waitText } from './retry.js';

describe('Retry-After', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it('reads delay-seconds as ms', () => {
    expect(retryAfterMs('12', now)).toBe(12_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the ms until then, never below zero', () => {
    expect(retryAfterMs('Thu, 01 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});

describe('wait text', () => {
  it('counts seconds under a minute, rounding up', () => {
    expect(waitText(0)).toBe('0 s');
    expect(waitText(1)).toBe('1 s');
    expect(waitText(12_000)).toBe('12 s');
    expect(waitText(59_001)).toBe('1 min');
  });

  it('keeps the seconds under ten minutes', () => {
    expect(waitText(60_000)).toBe('1 min');
    expect(waitText(150_000)).toBe('2 min 30 s');
    expect(waitText(299_500)).toBe('5 min');
    expect(waitText(599_000)).toBe('9 min 59 s');
  });

  it('counts whole minutes, then hours and minutes', () => {
    expect(waitText(600_000)).toBe('10 min');
    expect(waitText(25 * 60_000 - 1)).toBe('25 min');
    expect(waitText(3_599_000)).toBe('1 h');
    expect(waitText(3_600_000)).toBe('1 h');
    expect(waitText(3_600_000 + 1)).toBe('1 h 1 min');
    expect(waitText(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });
});

describe('retry text', () => {
  it('asks the reader to try again, then says they can', () => {
    expect(retryText(10_000, 0, false)).toBe('Try again in 10 s.');
    expect(retryText(10_000, 10_000, false)).toBe('You can try again now.');
  });

  it('says Parley tries again by itself when it does', () => {
    expect(retryText(10_000, 0, true)).toBe('Trying again in 10 s.');
    expect(retryText(10_000, 20_000, true)).toBe('Trying again…');
  });
});

describe('shown errors', () => {
  it('names the limit a refusal hit in a sentence, and carries its wait as the time to try again', () => {
    const e = new HttpError(429, 'rate_limited', 'too many new rooms; retry in 12 s', 12_000);
    expect(shownError(e, 'fallback', 1000)).toEqual({ message: 'You have started too many new rooms in a short time.', retryAt: 13_000 });
    expect(limitSentence('too many failed sign-ins; this account or address is paused; retry in 300 s')).toBe(
      'There were too many failed sign-ins, so this account or address is paused.',
    );
    expect(limitSentence('at most 10 messages a second; retry later with the same cid')).toBe('Messages were sent too quickly.');
  });

  it("falls back to the place's own sentence, then a common one, for a limit it does not know", () => {
    expect(errorSentence('rate_limited', 'too many widgets; retry in 5 s', 'x', { rate_limited: 'Wait a moment.' })).toBe('Wait a moment.');
    expect(errorSentence('rate_limited', 'too many widgets', 'x')).toBe('That was tried too often just now.');
  });

  it("never shows the server's message: the place's sentence for the code, a common one, or the fallback", () => {
    const taken = new HttpError(409, 'taken', 'the name bob is taken');
    expect(shownError(taken, 'x', 0, { taken: 'That username is taken.' })).toEqual({ message: 'That username is taken.' });
    const busy = new HttpError(503, 'unavailable', 'too many sign-ins at once; retry in a moment', 1000);
    expect(shownError(busy, 'x', 0)).toEqual({ message: 'Parley is busy just now.', retryAt: 1000 });
    const invalid = new HttpError(400, 'invalid', 'body: body must be at most 4000 characters');
    expect(shownError(invalid, 'The message could not be sent.', 0)).toEqual({ message: 'The message could not be sent.' });
    expect(shownError(new TypeError('boom'), 'Something went wrong.', 0)).toEqual({ message: 'Something went wrong.' });
  });
});
