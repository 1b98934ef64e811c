import { describe, expect, it } from 'vitest';
import { avatarHue, initials } from './avatar.js';
import { roomLabel } from './room-label.js';
import { typingText } from './typing-text.js';

describe('initials', () => {
  it('takes letters, not digits, from up to two words', () => {
    expect(initials('alice')).toBe('A');
    expect(initials('alice_9')).toBe('A');
    expect(initials('mary_jane_watson')).toBe('MJ');
    expect(initials('42')).toBe('4');
  });

  it('gives a stable hue in range', () => {
    expect(avatarHue('alice')).toBe(avatarHue('alice'));
    for (const n of ['a', 'bob', 'carol_1']) expect(avatarHue(n)).toBeGreaterThanOrEqual(0), expect(avatarHue(n)).toBeLessThan(360);
  });
});

describe('roomLabel', () => {
  it('names a direct room by the other person and a public room by its name', () => {
    const direct = { name: 'dm-1-2', kind: 'direct' as const, topic: null, online: 0, lastSeq: 0, lastAt: null, with: { id: 2, name: 'bob' } };
    expect(roomLabel('dm-1-2', direct)).toBe('bob');
    expect(roomLabel('general', undefined)).toBe('general');
  });
});

describe('typingText', () => {
  it('says who is typing, up to three names', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['ann'])).toBe('ann is typing…');
    expect(typingText(['ann', 'bo'])).toBe('ann and bo are typing…');
    expect(typingText(['ann', 'bo', 'cy'])).toBe('ann, bo and cy are typing…');
    expect(typingText(['ann', 'bo', 'cy', 'di'])).toBe('Several people are typing…');
  });
});
