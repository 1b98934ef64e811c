/**
 * Completing `@name` in the composer: what the reader is typing at the caret, who matches,
 * and the text with the choice put in. Pure, so the rules are tested on their own.
 */
import type { Member } from '../../server/protocol/frames.js';

export interface MentionQuery {
  /** Where the `@` is. */
  start: number;
  /** What follows it up to the caret, lower-cased. */
  prefix: string;
}

/** The `@name` being typed at the caret: an `@` at the start or after a non-word character, then name characters. */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  const m = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{0,32})$/.exec(before);
  if (!m) return undefined;
  return { start: caret - m[2]!.length - 1, prefix: m[2]!.toLowerCase() };
}

/** People whose name starts with the prefix (then those containing it), in the order given, at most `max`. */
export function mentionCandidates(people: readonly Member[], prefix: string, max = 6): Member[] {
  const starts = people.filter((p) => p.name.startsWith(prefix));
  const contains = prefix ? people.filter((p) => !p.name.startsWith(prefix) && p.name.includes(prefix)) : [];
  return [...starts, ...contains].slice(0, max);
}

/** The text with `@name ` in place of the query, and where the caret goes after it. */
export function completeMention(text: string, query: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const after = text.slice(caret).replace(/^[A-Za-z0-9_]*/, '').replace(/^ /, '');
  return { text: text.slice(0, query.start) + inserted + after, caret: query.start + inserted.length };
}
