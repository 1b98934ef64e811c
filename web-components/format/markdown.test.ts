import { describe, expect, it } from 'vitest';
import { mentionsOf, parseMessage, plainText, previewText, type Block, type Inline } from './markdown.js';

const text = (t: string): Inline => ({ kind: 'text', text: t });
const mention = (name: string): Inline => ({ kind: 'mention', name });
const br: Inline = { kind: 'break' };
const para = (...children: Inline[]): Block => ({ kind: 'paragraph', children });
const link = (href: string, ...children: Inline[]): Inline => ({ kind: 'link', href, children });

/** Every inline node of a parse, depth first, to ask "is there any link at all" and the like. */
function inlines(blocks: Block[]): Inline[] {
  const out: Inline[] = [];
  const walk = (nodes: Inline[]): void => {
    for (const n of nodes) {
      out.push(n);
      if ('children' in n) walk(n.children);
    }
  };
  for (const b of blocks) {
    if (b.kind === 'paragraph') walk(b.children);
    else if (b.kind === 'quote') out.push(...inlines(b.children));
  }
  return out;
}

describe('parseMessage: constructs', () => {
  it('plain text is one paragraph', () => {
    expect(parseMessage('hello there')).toEqual([para(text('hello there'))]);
  });

  it('bold, italic and strikethrough', () => {
    expect(parseMessage('**b** *i* _j_ __c__ ~~s~~')).toEqual([
      para(
        { kind: 'strong', children: [text('b')] },
        text(' '),
        { kind: 'em', children: [text('i')] },
        text(' '),
        { kind: 'em', children: [text('j')] },
        text(' '),
        { kind: 'strong', children: [text('c')] },
        text(' '),
        { kind: 'strike', children: [text('s')] },
      ),
    ]);
  });

  it('inline code', () => {
    expect(parseMessage('run `npm test` now')).toEqual([para(text('run '), { kind: 'code', text: 'npm test' }, text(' now'))]);
  });

  it('fenced code, with and without a language', () => {
    expect(parseMessage('```ts\nconst a = 1;\n  indented\n```')).toEqual([
      { kind: 'code', lang: 'ts', text: 'const a = 1;\n  indented' },
    ]);
    expect(parseMessage('```\nplain\n```')).toEqual([{ kind: 'code', lang: null, text: 'plain' }]);
    expect(parseMessage('```js title="x"\ny\n```')).toEqual([{ kind: 'code', lang: 'js', text: 'y' }]);
  });

  it('an unclosed fence runs to the end of the message', () => {
    expect(parseMessage('look:\n```\nstill code')).toEqual([para(text('look:')), { kind: 'code', lang: null, text: 'still code' }]);
  });

  it('blockquotes, nested', () => {
    expect(parseMessage('> said\n>> before\n\nreply')).toEqual([
      { kind: 'quote', children: [para(text('said')), { kind: 'quote', children: [para(text('before'))] }] },
      para(text('reply')),
    ]);
  });

  it('links with text, autolinks in angle brackets, and mailto', () => {
    expect(parseMessage('[docs](https://example.com/docs) <https://a.example/> <bob@example.com>')).toEqual([
      para(
        link('https://example.com/docs', text('docs')),
        text(' '),
        link('https://a.example/', text('https://a.example/')),
        text(' '),
        link('mailto:bob@example.com', text('bob@example.com')),
      ),
    ]);
  });

  it('backslash escapes make markup literal', () => {
    expect(parseMessage('\\*not bold\\* and \\`tick\\`')).toEqual([para(text('*not bold* and `tick`'))]);
  });

  it('headings, lists, tables, images and indented code stay text', () => {
    const body = '# title\n- item\n1. first\n| a | b |\n|---|---|\n    four spaces';
    const blocks = parseMessage(body);
    expect(blocks).toHaveLength(1);
    expect(plainText(blocks)).toBe('# title\n- item\n1. first\n| a | b |\n|---|---|\nfour spaces');
    // No image rule: the `!` stays text and what follows is an ordinary link.
    expect(parseMessage('![cat](https://example.com/cat.png)')).toEqual([
      para(text('!'), link('https://example.com/cat.png', text('cat'))),
    ]);
  });
});

describe('parseMessage: nesting', () => {
  it('bold inside a quote', () => {
    expect(parseMessage('> **yes** really')).toEqual([
      { kind: 'quote', children: [para({ kind: 'strong', children: [text('yes')] }, text(' really'))] },
    ]);
  });

  it('emphasis inside a link, and a link inside emphasis', () => {
    expect(parseMessage('[*the* docs](https://example.com)')).toEqual([
      para(link('https://example.com/', { kind: 'em', children: [text('the')] }, text(' docs'))),
    ]);
    expect(parseMessage('**see https://example.com**')).toEqual([
      para({ kind: 'strong', children: [text('see '), link('https://example.com/', text('https://example.com'))] }),
    ]);
  });

  it('strikethrough around bold and code', () => {
    expect(parseMessage('~~**old** `x`~~')).toEqual([
      para({ kind: 'strike', children: [{ kind: 'strong', children: [text('old')] }, text(' '), { kind: 'code', text: 'x' }] }),
    ]);
  });

  it('quotes nested past the parser limit keep their text', () => {
    const body = `${'>'.repeat(30)} deep`;
    expect(plainText(parseMessage(body))).toBe(body);
  });
});

describe('parseMessage: safety', () => {
  it('HTML is text', () => {
    expect(parseMessage('<script>alert(1)</script>')).toEqual([para(text('<script>alert(1)</script>'))]);
    expect(parseMessage('<b>x</b>')).toEqual([para(text('<b>x</b>'))]);
    expect(parseMessage('<img src=x onerror=alert(1)>')).toEqual([para(text('<img src=x onerror=alert(1)>'))]);
  });

  it('entities are not decoded', () => {
    expect(parseMessage('&lt;b&gt; &amp;')).toEqual([para(text('&lt;b&gt; &amp;'))]);
  });

  it('javascript:, data:, relative and other hrefs are not links', () => {
    for (const body of [
      '[x](javascript:alert(1))',
      '[x](JaVaScRiPt:alert(1))',
      '[x](data:text/html,<script>alert(1)</script>)',
      '[x](/settings)',
      '[x](//evil.example)',
      '[x](vbscript:msgbox)',
      '[x](ftp://example.com)',
      '<javascript:alert(1)>',
    ]) {
      expect(inlines(parseMessage(body)).filter((n) => n.kind === 'link'), body).toEqual([]);
    }
    // A link refused after parsing keeps its label as text.
    expect(parseMessage('go [home](/rooms) now')).toEqual([para(text('go home now'))]);
  });

  it('link hrefs are normalised URLs', () => {
    expect(parseMessage('[mail me](mailto:bob@example.com)')).toEqual([para(link('mailto:bob@example.com', text('mail me')))]);
    expect(parseMessage('[a](https://EXAMPLE.com/x)')).toEqual([para(link('https://example.com/x', text('a')))]);
    expect(parseMessage('[a](<https://EXAMPLE.com/a b>)')).toEqual([para(link('https://example.com/a%20b', text('a')))]);
  });
});

describe('parseMessage: bare links', () => {
  it('links a bare https URL', () => {
    expect(parseMessage('see https://example.com/a?b=1')).toEqual([
      para(text('see '), link('https://example.com/a?b=1', text('https://example.com/a?b=1'))),
    ]);
  });

  it('leaves trailing punctuation out of the link', () => {
    expect(parseMessage('go to https://example.com/path.')).toEqual([
      para(text('go to '), link('https://example.com/path', text('https://example.com/path')), text('.')),
    ]);
    expect(parseMessage('(see https://example.com/x), ok?')).toEqual([
      para(text('(see '), link('https://example.com/x', text('https://example.com/x')), text('), ok?')),
    ]);
    expect(parseMessage('is it https://example.com?')).toEqual([
      para(text('is it '), link('https://example.com/', text('https://example.com')), text('?')),
    ]);
  });

  it('keeps balanced parentheses inside the link', () => {
    expect(parseMessage('https://en.wikipedia.org/wiki/Foo_(bar)')).toEqual([
      para(link('https://en.wikipedia.org/wiki/Foo_(bar)', text('https://en.wikipedia.org/wiki/Foo_(bar)'))),
    ]);
  });

  it('needs a scheme: bare domains and emails stay text', () => {
    expect(parseMessage('example.com and bob@example.com')).toEqual([para(text('example.com and bob@example.com'))]);
  });
});

describe('parseMessage: code keeps its content literally', () => {
  it('in spans', () => {
    expect(parseMessage('`**x** @alice https://example.com`')).toEqual([
      para({ kind: 'code', text: '**x** @alice https://example.com' }),
    ]);
  });

  it('in blocks', () => {
    expect(parseMessage('```\n**x** @alice <b>y</b>\n> not a quote\n```')).toEqual([
      { kind: 'code', lang: null, text: '**x** @alice <b>y</b>\n> not a quote' },
    ]);
  });
});

describe('mentions', () => {
  it('at the start, after spaces and after punctuation', () => {
    expect(parseMessage('@alice hi @Bob_2, (@carol) "@dave"')).toEqual([
      para(mention('alice'), text(' hi '), mention('bob_2'), text(', ('), mention('carol'), text(') "'), mention('dave'), text('"')),
    ]);
  });

  it('not in email addresses, nor after letters, digits, underscores or @', () => {
    for (const body of ['bob@example.com', 'x@alice', '9@alice', '_@alice', '@@alice', 'josé@alice']) {
      expect(inlines(parseMessage(body)).filter((n) => n.kind === 'mention'), body).toEqual([]);
    }
  });

  it('names are 3 to 32 of [A-Za-z0-9_]', () => {
    expect(parseMessage('@al')).toEqual([para(text('@al'))]);
    expect(parseMessage('@abc')).toEqual([para(mention('abc'))]);
    const longest = 'a'.repeat(32);
    expect(parseMessage(`@${longest}`)).toEqual([para(mention(longest))]);
    // One too long is not shortened into a mention of somebody else.
    expect(parseMessage(`@${'a'.repeat(33)}`)).toEqual([para(text(`@${'a'.repeat(33)}`))]);
    expect(parseMessage('@alice-smith')).toEqual([para(mention('alice'), text('-smith'))]);
  });

  it('inside emphasis and quotes, but not inside code or links', () => {
    expect(parseMessage('> **@alice** look')).toEqual([
      { kind: 'quote', children: [para({ kind: 'strong', children: [mention('alice')] }, text(' look'))] },
    ]);
    expect(parseMessage('[@alice](https://example.com) `@bob`')).toEqual([
      para(link('https://example.com/', text('@alice')), text(' '), { kind: 'code', text: '@bob' }),
    ]);
  });

  it('text split by markup still counts as glued', () => {
    expect(inlines(parseMessage('_bob_@alice')).filter((n) => n.kind === 'mention')).toEqual([]);
    expect(parseMessage('hi\n@alice')).toEqual([para(text('hi'), br, mention('alice'))]);
  });

  it('mentionsOf lists distinct lower-cased names in order, ignoring code and links', () => {
    expect(mentionsOf('@Bob and @alice, @bob again `@carol` [@dave](https://x.example) bob@example.com @al')).toEqual([
      'bob',
      'alice',
    ]);
    expect(mentionsOf('```\n@alice\n```\n> @erin')).toEqual(['erin']);
    expect(mentionsOf('')).toEqual([]);
  });
});

describe('line breaks and blank lines', () => {
  it('a single newline is a line break', () => {
    expect(parseMessage('one\ntwo\r\nthree')).toEqual([para(text('one'), br, text('two'), br, text('three'))]);
  });

  it('blank and whitespace-only lines separate paragraphs', () => {
    expect(parseMessage('one\n\n   \n\t\ntwo')).toEqual([para(text('one')), para(text('two'))]);
  });

  it('an empty or whitespace-only body has no blocks', () => {
    expect(parseMessage('')).toEqual([]);
    expect(parseMessage('  \n \t\n')).toEqual([]);
  });

  it('a body that parses to nothing visible is shown as typed', () => {
    expect(parseMessage('>')).toEqual([para(text('>'))]);
  });
});

describe('long bodies', () => {
  it('parses a 4000-character message', () => {
    const line = 'some **bold** and `code` with https://example.com/x and @alice\n';
    const body = line.repeat(Math.ceil(4000 / line.length)).slice(0, 4000);
    const blocks = parseMessage(body);
    expect(blocks).toHaveLength(1);
    expect(mentionsOf(body)).toEqual(['alice']);
  });

  it('stays fast on delimiter-heavy input', () => {
    for (const body of ['*'.repeat(4000), '**a'.repeat(1333), '['.repeat(4000), '`'.repeat(4000), '>'.repeat(4000), '_a'.repeat(2000)]) {
      const started = performance.now();
      parseMessage(body);
      expect(performance.now() - started, body.slice(0, 10)).toBeLessThan(1000);
    }
  });
});

describe('previewText', () => {
  it('is one line without markup', () => {
    expect(previewText('**Hi** @Alice,\nsee [the docs](https://example.com)\n\n> quoted\n```\ncode  here\n```')).toBe(
      'Hi @alice, see the docs quoted code here',
    );
  });

  it('is empty for an empty body', () => {
    expect(previewText('   ')).toBe('');
  });
});
