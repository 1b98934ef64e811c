/**
 * The Markdown subset message bodies may use, parsed into plain data. The renderer
 * (components/rich-text.ts) turns that data into Lit templates with text bindings, so nothing
 * a user types is ever handed to the browser as HTML. Pure and browser-safe: no DOM.
 *
 * Only what reads well in chat is on. Headings, lists, tables, images, raw HTML and indented
 * code are left off: in a chat line `# 1`, `- ok`, `1. first` or four leading spaces are
 * almost always meant literally, and turning them into structure surprises people.
 */
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'strong' | 'em' | 'strike'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; href: string; children: Inline[] }
  | { kind: 'mention'; name: string }
  | { kind: 'break' };

export type Block =
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'code'; lang: string | null; text: string }
  | { kind: 'quote'; children: Block[] };

const md = new MarkdownIt('zero', { html: false, linkify: true, breaks: true });
// Enabled chain by chain: `md.enable('linkify')` would also switch on the core linkify rule,
// which links bare domains and e-mail addresses (`example.com`, `bob@example.com`); in chat
// those are usually just words. The inline rule only fires on an explicit `scheme://`.
md.block.ruler.enable(['fence', 'blockquote']);
md.inline.ruler.enable(['newline', 'escape', 'backticks', 'emphasis', 'strikethrough', 'link', 'autolink', 'linkify']);
md.inline.ruler2.enable(['emphasis', 'strikethrough']);

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * markdown-it only refuses a few known-bad schemes; here the rule is the other way round, so a
 * scheme nobody thought of (or a relative path, which would resolve against Parley's own
 * origin) cannot become a link.
 */
function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
    if (url.protocol !== 'mailto:' && !url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

const NAME_AFTER_AT = /@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])/g;
/** What may not stand right before `@`: otherwise `bob@example.com` would mention `example`. */
const GLUED_BEFORE = /[\p{L}\p{N}_@]/u;

type InlineContext = {
  /** False inside links: their text is a label, and a mention there would nest interactive bits. */
  mentions: boolean;
  /**
   * The last character already emitted in this paragraph, so `_bob_@alice` is judged like
   * `bob@alice` even though markdown-it split it into separate tokens.
   */
  prev: string;
};

function pushText(out: Inline[], text: string): void {
  if (!text) return;
  const last = out.at(-1);
  if (last?.kind === 'text') last.text += text;
  else out.push({ kind: 'text', text });
}

function textWithMentions(out: Inline[], text: string, ctx: InlineContext): void {
  if (!ctx.mentions) {
    pushText(out, text);
    ctx.prev = text.at(-1) ?? ctx.prev;
    return;
  }
  let from = 0;
  for (const m of text.matchAll(NAME_AFTER_AT)) {
    const before = m.index > 0 ? text[m.index - 1] : ctx.prev;
    if (before && GLUED_BEFORE.test(before)) continue;
    pushText(out, text.slice(from, m.index));
    out.push({ kind: 'mention', name: m[1].toLowerCase() });
    from = m.index + m[0].length;
  }
  pushText(out, text.slice(from));
  ctx.prev = text.at(-1) ?? ctx.prev;
}

const CONTAINERS: Record<string, 'strong' | 'em' | 'strike'> = {
  strong_open: 'strong',
  em_open: 'em',
  s_open: 'strike',
};

/** Reads inline tokens from `start` up to the token of type `until` (or the end). */
function readInline(tokens: Token[], start: number, until: string | null, ctx: InlineContext): { nodes: Inline[]; next: number } {
  const out: Inline[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.type === until) return { nodes: out, next: i + 1 };
    const container = CONTAINERS[t.type];
    if (container) {
      const inner = readInline(tokens, i + 1, t.type.replace('_open', '_close'), ctx);
      if (inner.nodes.length) out.push({ kind: container, children: inner.nodes });
      i = inner.next;
      continue;
    }
    switch (t.type) {
      case 'text':
        textWithMentions(out, t.content, ctx);
        break;
      case 'code_inline':
        out.push({ kind: 'code', text: t.content });
        ctx.prev = t.content.at(-1) ?? ctx.prev;
        break;
      case 'softbreak':
      case 'hardbreak':
        out.push({ kind: 'break' });
        ctx.prev = '\n';
        break;
      case 'link_open': {
        const href = safeHref(t.attrGet('href') ?? '');
        const outer = ctx.mentions;
        ctx.mentions = false;
        const inner = readInline(tokens, i + 1, 'link_close', ctx);
        ctx.mentions = outer;
        if (href) out.push({ kind: 'link', href, children: inner.nodes });
        else pushText(out, inlineText(inner.nodes));
        i = inner.next;
        continue;
      }
      default:
        // Nothing else is enabled; should a rule slip through, its text still shows.
        if (t.content) textWithMentions(out, t.content, ctx);
    }
    i++;
  }
  return { nodes: out, next: i };
}

function fenceLang(info: string): string | null {
  const word = info.trim().split(/\s+/, 1)[0];
  return word ? word : null;
}

function readBlocks(tokens: Token[], start: number, until: string | null): { blocks: Block[]; next: number } {
  const out: Block[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.type === until) return { blocks: out, next: i + 1 };
    switch (t.type) {
      case 'inline': {
        const children = readInline(t.children ?? [], 0, null, { mentions: true, prev: '' }).nodes;
        if (children.length) out.push({ kind: 'paragraph', children });
        break;
      }
      case 'fence':
        // markdown-it keeps the newline before the closing fence; it is not part of the code.
        out.push({ kind: 'code', lang: fenceLang(t.info), text: t.content.replace(/\n$/, '') });
        break;
      case 'blockquote_open': {
        const inner = readBlocks(tokens, i + 1, 'blockquote_close');
        if (inner.blocks.length) out.push({ kind: 'quote', children: inner.blocks });
        i = inner.next;
        continue;
      }
      // paragraph_open/close carry nothing the inline token does not.
    }
    i++;
  }
  return { blocks: out, next: i };
}

/**
 * The body as typed, line by line: used when the parse would lose text. markdown-it stops
 * reading blocks once quotes nest `maxNesting` deep and silently drops the rest, and a body
 * such as a lone `>` parses to nothing; a chat message must never vanish either way.
 */
function literal(body: string): Block[] {
  const ctx: InlineContext = { mentions: true, prev: '' };
  const children: Inline[] = [];
  body
    .replace(/\r\n?/g, '\n')
    .trim()
    .split('\n')
    .forEach((line, n) => {
      if (n > 0) {
        children.push({ kind: 'break' });
        ctx.prev = '\n';
      }
      textWithMentions(children, line, ctx);
    });
  return children.length ? [{ kind: 'paragraph', children }] : [];
}

function nestingOverflowed(tokens: Token[]): boolean {
  // The option exists at runtime (zero preset: 20) but is missing from @types/markdown-it.
  const limit = (md.options as { maxNesting?: number }).maxNesting ?? 20;
  return tokens.some((t) => t.nesting === 1 && t.level + 1 >= limit);
}

export function parseMessage(body: string): Block[] {
  const tokens = md.parse(body, {});
  if (nestingOverflowed(tokens)) return literal(body);
  const blocks = readBlocks(tokens, 0, null).blocks;
  if (!blocks.length && body.trim()) return literal(body);
  return blocks;
}

function inlineText(nodes: Inline[]): string {
  let s = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
      case 'code':
        s += n.text;
        break;
      case 'mention':
        s += `@${n.name}`;
        break;
      case 'break':
        s += '\n';
        break;
      default:
        s += inlineText(n.children);
    }
  }
  return s;
}

/** The visible text of a parsed body, one block per line; markup and link targets are dropped. */
export function plainText(blocks: Block[]): string {
  return blocks
    .map((b) => {
      if (b.kind === 'paragraph') return inlineText(b.children);
      if (b.kind === 'code') return b.text;
      return plainText(b.children);
    })
    .join('\n');
}

/** One line for places that cannot show formatting, such as a notification or a room preview. */
export function previewText(body: string): string {
  return plainText(parseMessage(body)).replace(/\s+/g, ' ').trim();
}

function collectMentions(blocks: Block[], into: Set<string>): void {
  const walk = (nodes: Inline[]): void => {
    for (const n of nodes) {
      if (n.kind === 'mention') into.add(n.name);
      else if (n.kind === 'strong' || n.kind === 'em' || n.kind === 'strike') walk(n.children);
      // Links and code never hold mentions: parseMessage does not make them there.
    }
  };
  for (const b of blocks) {
    if (b.kind === 'paragraph') walk(b.children);
    else if (b.kind === 'quote') collectMentions(b.children, into);
  }
}

/** Distinct lower-cased names the body mentions, in order of first mention. */
export function mentionsOf(body: string): string[] {
  const names = new Set<string>();
  collectMentions(parseMessage(body), names);
  return [...names];
}
