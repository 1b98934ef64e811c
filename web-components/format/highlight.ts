/**
 * Which parts of a text a search query matched, so a result can show them in bold. It
 * follows the server's rule (server/store/message-search.ts): a query is a list of words, and
 * each one matches the start of a word in the text, ignoring case. "flam" marks the "Flam" of
 * "Flamingo" but nothing in "inflamed". Pure and browser-safe: it returns plain strings, and
 * the caller binds them as text.
 */

export interface HighlightPart {
  text: string;
  /** This part is the start of a word that a query word matched. */
  match: boolean;
}

/**
 * A query's words as the server reads them: runs of letters, digits and _ in any script,
 * at most 8. Compared in NFC and lower case, so "É" typed one way finds "é" written the other.
 */
export function queryWords(query: string): string[] {
  const words = fold(query).match(/[\p{L}\p{N}_]+/gu)?.slice(0, 8) ?? [];
  return [...new Set(words)];
}

/**
 * A word of the text also takes its combining marks (\p{M}): "é" written as e + U+0301 is one
 * letter to the reader, and a highlight must not cut the accent off its letter.
 */
const TEXT_WORD = /[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*/gu;
const MARKS = /^\p{M}*/u;

function fold(s: string): string {
  return s.normalize('NFC').toLowerCase();
}

/**
 * How many UTF-16 units at the start of `word` one of `words` matches (the longest match), or
 * 0. Lower-casing can change a string's length ("İ" becomes two units), so the comparison is
 * of folded prefixes, grown one code point at a time, not of offsets into a folded copy.
 */
function matchedLength(word: string, words: string[], longest: number): number {
  let best = 0;
  let end = 0;
  // Folding changes a length by a few units at most, so longer prefixes cannot match; the
  // bound keeps a 4000-letter "word" from costing millions of steps.
  const limit = Math.min(word.length, longest * 3 + 2);
  for (const ch of word) {
    end += ch.length;
    if (end > limit) break;
    if (words.includes(fold(word.slice(0, end)))) best = end;
  }
  if (best === 0) return 0;
  // Any marks right after the match belong to its last letter.
  return best + (MARKS.exec(word.slice(best))?.[0].length ?? 0);
}

/**
 * `text` cut into parts, the matched word starts marked. Joining the parts' text gives `text`
 * back. Neighbouring parts never have the same `match`; an empty text gives no parts.
 */
export function highlight(text: string, query: string): HighlightPart[] {
  const words = queryWords(query);
  const parts: HighlightPart[] = [];
  const push = (piece: string, match: boolean) => {
    if (!piece) return;
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += piece;
    else parts.push({ text: piece, match });
  };
  if (words.length > 0) {
    const longest = Math.max(...words.map((w) => w.length));
    let done = 0;
    for (const m of text.matchAll(TEXT_WORD)) {
      const length = matchedLength(m[0], words, longest);
      if (length === 0) continue;
      push(text.slice(done, m.index), false);
      push(text.slice(m.index, m.index + length), true);
      done = m.index + length;
    }
    push(text.slice(done), false);
  } else {
    push(text, false);
  }
  return parts;
}

/**
 * A long body cut down to about `maxChars` around its first match, with "…" where text was
 * left out, so the match is on screen rather than somewhere in line 40. Cuts fall between
 * words where one is near. Short texts (and texts with no match) keep their start.
 */
export function excerpt(text: string, query: string, maxChars = 240): string {
  if (text.length <= maxChars) return text;
  const parts = highlight(text, query);
  const first = parts.findIndex((p) => p.match);
  const at = first < 0 ? 0 : parts.slice(0, first).reduce((n, p) => n + p.text.length, 0);
  // Some words before the match, for its sentence; then as much after as fits.
  let start = Math.max(0, Math.min(at - Math.floor(maxChars / 4), text.length - maxChars));
  if (start > 0) {
    const space = text.indexOf(' ', start);
    if (space >= 0 && space < at) start = space + 1;
  }
  let end = Math.min(text.length, start + maxChars);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > Math.max(start, at)) end = space;
  }
  // Never split a surrogate pair at either end.
  if (start > 0 && /[\uDC00-\uDFFF]/.test(text[start]!)) start += 1;
  if (end < text.length && /[\uDC00-\uDFFF]/.test(text[end]!)) end -= 1;
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}
