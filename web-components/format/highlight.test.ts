import { describe, expect, it } from 'vitest';
import { excerpt, highlight, queryWords, type HighlightPart } from './highlight.js';

/** The parts written compactly: matches in [brackets]. */
function shown(parts: HighlightPart[]): string {
  return parts.map((p) => (p.match ? `[${p.text}]` : p.text)).join('');
}

describe('queryWords', () => {
  it('keeps letters, digits and _ of any script, lower-cased, each word once, at most 8', () => {
    expect(queryWords('  Flam, DEPLOY-2!  ')).toEqual(['flam', 'deploy', '2']);
    expect(queryWords('Straße ÉTÉ привет 東京 snake_case')).toEqual(['straße', 'été', 'привет', '東京', 'snake_case']);
    expect(queryWords('a A a')).toEqual(['a']);
    expect(queryWords('1 2 3 4 5 6 7 8 9 10')).toHaveLength(8);
    expect(queryWords('?! …')).toEqual([]);
  });
});

describe('highlight', () => {
  it('marks the start of each word a query word begins, whatever the case', () => {
    expect(shown(highlight('Flamingos flamBé the FLAMINGO', 'flam'))).toBe('[Flam]ingos [flam]Bé the [FLAM]INGO');
  });

  it('marks nothing inside a word: matches are prefixes, as on the server', () => {
    expect(highlight('inflamed aflame', 'flam')).toEqual([{ text: 'inflamed aflame', match: false }]);
  });

  it('marks every query word, the longest where two begin the same word', () => {
    expect(shown(highlight('deploying the deployment now', 'deploy deployment'))).toBe('[deploy]ing the [deployment] now');
    expect(shown(highlight('go gopher', 'go gop'))).toBe('[go] [gop]her');
  });

  it('splits words as the server does: punctuation and spaces end a word', () => {
    expect(shown(highlight('re-deploy (deploy) @deploy_bot', 'deploy'))).toBe('re-[deploy] ([deploy]) @[deploy]_bot');
  });

  it('gives the text back unchanged when the parts are joined', () => {
    const text = 'Ünïcode ÜBER über-cool, 東京タワー and 🦩 flamingo 🦩!';
    for (const q of ['über', '東京', 'flam', 'nothing', '', 'ü 🦩']) {
      expect(highlight(text, q).map((p) => p.text).join('')).toBe(text);
    }
  });

  it('matches letters of any script, ignoring case', () => {
    expect(shown(highlight('Привет, ПРИВЕТСТВУЮ', 'привет'))).toBe('[Привет], [ПРИВЕТ]СТВУЮ');
    expect(shown(highlight('Été à Genève', 'ÉT gen'))).toBe('[Ét]é à [Gen]ève');
    expect(shown(highlight('Straße STRASSE', 'straß'))).toBe('[Straß]e STRASSE');
  });

  it('treats composed and decomposed accents alike, and keeps an accent with its letter', () => {
    const decomposed = 'Cafe\u0301 cafe\u0301s';
    expect(shown(highlight(decomposed, 'café'))).toBe('[Cafe\u0301] [cafe\u0301]s');
    // "cafe" is the start of "café" written as e + combining accent: the accent comes along.
    expect(shown(highlight(decomposed, 'cafe'))).toBe('[Cafe\u0301] [cafe\u0301]s');
  });

  it('copes with lower-casing that changes length', () => {
    // "İ" lower-cases to two code units (i + combining dot).
    const parts = highlight('İstanbul istanbul', 'istan');
    expect(parts.map((p) => p.text).join('')).toBe('İstanbul istanbul');
    expect(parts.filter((p) => p.match).map((p) => p.text)).toContain('istan');
  });

  it('marks nothing for a query without words, and gives no parts for an empty text', () => {
    expect(highlight('anything at all', '!!!')).toEqual([{ text: 'anything at all', match: false }]);
    expect(highlight('', 'flam')).toEqual([]);
  });

  it('never puts two parts of the same kind side by side', () => {
    const parts = highlight('flam flam, flamingo', 'flam flamingo');
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.match).not.toBe(parts[i - 1]!.match);
  });

  it('stays fast on a body that is one very long word', () => {
    const long = 'a'.repeat(4000);
    const started = performance.now();
    expect(shown(highlight(long, 'aaa'))).toBe(`[aaa]${'a'.repeat(3997)}`);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('excerpt', () => {
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  it('leaves a short text alone', () => {
    expect(excerpt('a short flamingo', 'flam', 240)).toBe('a short flamingo');
  });

  it('cuts a long text around its first match, between words, saying where text was left out', () => {
    const text = `${filler(100)} flamingo ${filler(100)}`;
    const cut = excerpt(text, 'flam', 120);
    expect(cut).toContain('flamingo');
    expect(cut.startsWith('…')).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(122);
    // Whole words at the cuts.
    expect(cut.slice(1, -1).split(' ').every((w) => /^(word\d+|flamingo)$/.test(w))).toBe(true);
  });

  it('keeps the start when the match is near it, and the start of a text with no match', () => {
    const text = `flamingo ${filler(100)}`;
    expect(excerpt(text, 'flam', 80).startsWith('flamingo')).toBe(true);
    expect(excerpt(text, 'absent', 80).startsWith('flamingo')).toBe(true);
  });

  it('shows the end when the match is the last word', () => {
    const text = `${filler(100)} flamingo`;
    const cut = excerpt(text, 'flam', 80);
    expect(cut.endsWith('flamingo')).toBe(true);
    expect(cut.startsWith('…')).toBe(true);
  });
});
