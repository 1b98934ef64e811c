import { describe, expect, it } from 'vitest';
import { linkify, type TextPart } from './linkify.js';

const text = (t: string): TextPart => ({ kind: 'text', text: t });
const link = (t: string, href = t): TextPart => ({ kind: 'link', text: t, href });

describe('linkify', () => {
  it('leaves text without links as one text part', () => {
    expect(linkify('hello there')).toEqual([text('hello there')]);
    expect(linkify('')).toEqual([]);
  });

  it('keeps markup as plain text', () => {
    expect(linkify('<img src=x onerror=alert(1)>')).toEqual([text('<img src=x onerror=alert(1)>')]);
  });

  it('links http and https URLs and nothing else', () => {
    expect(linkify('see https://example.com/a?b=1 and http://x.org')).toEqual([
      text('see '),
      link('https://example.com/a?b=1'),
      text(' and '),
      link('http://x.org', 'http://x.org/'),
    ]);
    for (const s of ['javascript:alert(1)', 'ftp://example.com', 'data:text/html,hi', 'mailto:a@b.c', 'www.example.com']) {
      expect(linkify(s)).toEqual([text(s)]);
    }
  });

  it('does not link a scheme glued to a word', () => {
    expect(linkify('xhttps://example.com')).toEqual([text('xhttps://example.com')]);
  });

  it('leaves sentence punctuation and unmatched brackets outside the link', () => {
    expect(linkify('go to https://example.com.')).toEqual([text('go to '), link('https://example.com', 'https://example.com/'), text('.')]);
    expect(linkify('(https://example.com/x)')).toEqual([text('('), link('https://example.com/x'), text(')')]);
    expect(linkify('https://en.wikipedia.org/wiki/Lisp_(language)!')).toEqual([
      link('https://en.wikipedia.org/wiki/Lisp_(language)'),
      text('!'),
    ]);
  });

  it('stops at quotes and angle brackets', () => {
    expect(linkify('"https://example.com/q"')).toEqual([text('"'), link('https://example.com/q'), text('"')]);
    expect(linkify('<https://example.com/q>')).toEqual([text('<'), link('https://example.com/q'), text('>')]);
  });

  it('skips a candidate that is not a URL', () => {
    expect(linkify('http:// nothing')).toEqual([text('http:// nothing')]);
  });

  it('puts the whole text back together', () => {
    const s = 'a https://a.example/x, b http://b.example/(y) c.';
    expect(
      linkify(s)
        .map((p) => p.text)
        .join(''),
    ).toBe(s);
  });
});
