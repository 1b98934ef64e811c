/**
 * Renders a message body's Markdown subset (format/markdown.ts) with Lit templates. Every piece
 * of user text reaches the DOM through a text or attribute binding, never as markup, so the
 * parser is not a security boundary: at worst it gets the formatting wrong.
 *
 * The templates are written without whitespace between tags on purpose: message bodies are
 * often styled `white-space: pre-wrap`, and stray template indentation would show up there.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { parseMessage, type Block, type Inline } from '../format/markdown.js';

function inlineTemplate(node: Inline, me: string | undefined): TemplateResult | string {
  switch (node.kind) {
    case 'text':
      return node.text;
    case 'break':
      return html`<br />`;
    case 'code':
      return html`<code>${node.text}</code>`;
    case 'strong':
      return html`<strong>${inlines(node.children, me)}</strong>`;
    case 'em':
      return html`<em>${inlines(node.children, me)}</em>`;
    case 'strike':
      return html`<s>${inlines(node.children, me)}</s>`;
    case 'link':
      return html`<a href=${node.href} target="_blank" rel="noopener noreferrer">${inlines(node.children, me)}</a>`;
    case 'mention':
      return html`<span class=${node.name === me ? 'mention me' : 'mention'}>@${node.name}</span>`;
  }
}

function inlines(nodes: Inline[], me: string | undefined): Array<TemplateResult | string> {
  return nodes.map((n) => inlineTemplate(n, me));
}

function blockTemplate(block: Block, me: string | undefined): TemplateResult {
  switch (block.kind) {
    case 'paragraph':
      return html`<p>${inlines(block.children, me)}</p>`;
    case 'code':
      return html`<pre><code data-lang=${block.lang ?? nothing}>${block.text}</code></pre>`;
    case 'quote':
      return html`<blockquote>${blocks(block.children, me)}</blockquote>`;
  }
}

function blocks(list: Block[], me: string | undefined): TemplateResult[] {
  return list.map((b) => blockTemplate(b, me));
}

/** `me`: the signed-in user's name, so mentions of them stand out. */
export function richText(body: string, me?: string): TemplateResult {
  // Mention names are parsed lower-cased; usernames are too, but a caller may pass a display form.
  const self = me?.toLowerCase();
  return html`<div class="rich-text">${blocks(parseMessage(body), self)}</div>`;
}

export const richTextStyles = css`
  .rich-text {
    /* A container styled pre-wrap would otherwise keep the spaces between blocks. */
    white-space: normal;
    overflow-wrap: anywhere;
    min-width: 0;
  }
  .rich-text p {
    margin: 0.3em 0;
    /* Runs of spaces someone typed on purpose (aligning, ASCII art) are kept. */
    white-space: pre-wrap;
  }
  .rich-text > :first-child,
  .rich-text blockquote > :first-child {
    margin-top: 0;
  }
  .rich-text > :last-child,
  .rich-text blockquote > :last-child {
    margin-bottom: 0;
  }
  .rich-text a {
    color: var(--parley-link);
  }
  .rich-text code {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
    font-size: 0.875em;
    padding: 0.1em 0.3em;
    border-radius: var(--parley-radius-small, 4px);
    background: var(--parley-hover);
  }
  .rich-text pre {
    margin: 0.3em 0;
    padding: 0.5em 0.75em;
    max-width: 100%;
    box-sizing: border-box;
    overflow-x: auto;
    border-radius: var(--parley-radius-small, 4px);
    background: var(--parley-hover);
    /* Code is laid out by its author: never reflowed, scrolled sideways instead. */
    white-space: pre;
    overflow-wrap: normal;
  }
  .rich-text pre code {
    padding: 0;
    border-radius: 0;
    background: none;
  }
  .rich-text blockquote {
    margin: 0.3em 0;
    padding: 0 0 0 0.75em;
    border-left: 3px solid var(--parley-border, var(--parley-muted));
    color: var(--parley-muted);
  }
  .rich-text .mention {
    padding: 0 0.2em;
    border-radius: var(--parley-radius-small, 4px);
    background: var(--parley-accent-soft, var(--parley-hover));
    color: var(--parley-accent);
    font-weight: 600;
    white-space: nowrap;
  }
  .rich-text .mention.me {
    background: var(--parley-accent);
    color: var(--parley-on-accent, #fff);
  }
`;
