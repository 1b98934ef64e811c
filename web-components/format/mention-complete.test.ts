import { describe, expect, it } from 'vitest';
import { completeMention, mentionCandidates, mentionQuery } from './mention-complete.js';

const people = [
  { id: 1, name: 'alice' },
  { id: 2, name: 'albert' },
  { id: 3, name: 'bob' },
  { id: 4, name: 'malik' },
];

describe('mention completion', () => {
  it('finds the @name being typed at the caret, not inside an e-mail address', () => {
    expect(mentionQuery('hi @Al', 6)).toEqual({ start: 3, prefix: 'al' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, prefix: '' });
    expect(mentionQuery('mail bob@ex', 11)).toBeUndefined();
    expect(mentionQuery('hi @al there', 12)).toBeUndefined();
    expect(mentionQuery('(@bo', 4)).toEqual({ start: 1, prefix: 'bo' });
  });

  it('offers names starting with the prefix first, then those containing it', () => {
    expect(mentionCandidates(people, 'al').map((p) => p.name)).toEqual(['alice', 'albert', 'malik']);
    expect(mentionCandidates(people, '').map((p) => p.name)).toEqual(['alice', 'albert', 'bob', 'malik']);
    expect(mentionCandidates(people, 'zz')).toEqual([]);
    expect(mentionCandidates(people, '', 2)).toHaveLength(2);
  });

  it('puts the chosen name in with one space after, replacing the rest of a half-typed name', () => {
    const text = 'hi @al and more';
    const q = mentionQuery(text, 6)!;
    expect(completeMention(text, q, 6, 'alice')).toEqual({ text: 'hi @alice and more', caret: 10 });
    const mid = 'hi @alxx';
    expect(completeMention(mid, mentionQuery(mid, 6)!, 6, 'albert')).toEqual({ text: 'hi @albert ', caret: 11 });
  });
});
