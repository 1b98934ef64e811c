/**
 * What the bridge reads of a request head before anything is built from it: the headers as
 * uWS hands them over (HeaderList), and whether the head can be trusted at all (its size,
 * Host, Expect and the framing of its body, RFC 9112 §6.3). A head that cannot be trusted is
 * answered by the bridge itself with a Refusal.
 */

/** Request headers as uWS gives them (names already lower-case), behind the Headers interface. */
export class HeaderList implements Headers {
  private map = new Map<string, string>();
  /** Characters of names and values appended, for the bridge's limit on a request head. */
  chars = 0;

  append(name: string, value: string): void {
    this.chars += name.length + value.length;
    const key = name.toLowerCase();
    const had = this.map.get(key);
    // The Fetch rule for repeated request headers: one value, joined with ", ".
    this.map.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  getSetCookie(): string[] {
    // Requests carry no Set-Cookie worth splitting; keep the Headers contract anyway.
    const v = this.map.get('set-cookie');
    return v === undefined ? [] : [v];
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  forEach(fn: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.sorted()) fn.call(thisArg, v, k, this);
  }
  entries(): HeadersIterator<[string, string]> {
    return this.sorted()[Symbol.iterator]() as HeadersIterator<[string, string]>;
  }
  keys(): HeadersIterator<string> {
    return this.sorted().map(([k]) => k)[Symbol.iterator]() as HeadersIterator<string>;
  }
  values(): HeadersIterator<string> {
    return this.sorted().map(([, v]) => v)[Symbol.iterator]() as HeadersIterator<string>;
  }
  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries();
  }
  /** Fetch iterates headers sorted by name. */
  private sorted(): Array<[string, string]> {
    return [...this.map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** A request the bridge answers itself, before any handler runs. */
export interface Refusal {
  status: 400 | 413 | 414 | 417 | 431 | 501;
  code: string;
  message: string;
  /** The body's framing holds: uWS can read past it to the next request, so the connection stays. */
  keepAlive?: boolean;
}

const refusal = (status: Refusal['status'], code: string, message: string): Refusal => ({ status, code, message });

export const TOO_LARGE = refusal(413, 'too_large', 'request body too large');
/**
 * Too large by a Content-Length of at most DRAINED_MAX: uWS reads the body and drops it, and
 * the connection goes on. Closing instead, with the body still arriving, makes the kernel
 * answer the client's next bytes with a reset, and a reset can take the 413 with it before
 * the client reads it (the fuzzer saw one: a 160 KB post written in five pieces).
 */
const TOO_LARGE_DRAINED: Refusal = { ...TOO_LARGE, keepAlive: true };
/** The most a refused body is read (and dropped) for; beyond it the connection closes. */
export const DRAINED_MAX = 1024 * 1024;
export const UNREPRESENTABLE = refusal(400, 'bad_request', 'the request method or a header value is not allowed');
const BAD_LENGTH = refusal(400, 'bad_request', 'Content-Length must be one decimal number');
const LENGTH_AND_CODING = refusal(400, 'bad_request', 'Content-Length and Transfer-Encoding must not be sent together');
const NOT_FINAL_CHUNKED = refusal(400, 'bad_request', 'Transfer-Encoding must end with chunked');
const CHUNKED_TWICE = refusal(400, 'bad_request', 'Transfer-Encoding must name chunked once');
const UNKNOWN_CODING = refusal(501, 'not_implemented', 'the only transfer coding accepted is chunked');

/**
 * Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET but a method nobody here
 * implements. The older uWS build closed such a request; the current one passes it on, and a
 * fetch Request would turn it into GET.
 */
export const UNKNOWN_METHOD = refusal(501, 'not_implemented', 'the request method is not implemented (methods are case-sensitive)');
const BAD_HOST = refusal(400, 'bad_request', 'Host must be sent once, as a host name or address and an optional port');
const EXPECTATION = refusal(417, 'expectation_failed', 'the only expectation met is 100-continue');
const TARGET_TOO_LONG = refusal(414, 'uri_too_long', 'the request target is too long');
const HEADERS_TOO_LARGE = refusal(431, 'headers_too_large', 'the request headers are too large');

/** A Host header that makes a valid URL authority: a name or IPv4 address, or [IPv6], and a port. */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Limits on the request head. uWS's own are far off (a 100 KB header passed, 600 KB was reset)
 * and it has no limit on the target; the API's requests are a path, a cookie and a few headers.
 */
export const MAX_TARGET_CHARS = 8 * 1024;
export const MAX_HEADER_CHARS = 16 * 1024;

/**
 * Checks a request head before the bridge builds a request from it: its size, its Host (the
 * request's URL is made from it), its Expect, and its body's framing (bodyFraming).
 */
export function checkRequestHead(headers: HeaderList, targetChars: number, maxBodyBytes: number): BodyFraming | Refusal {
  if (targetChars > MAX_TARGET_CHARS) return TARGET_TOO_LONG;
  if (headers.chars > MAX_HEADER_CHARS) return HEADERS_TOO_LARGE;
  // Missing, repeated (joined as "a, b") or not an authority (RFC 9112 §3.2: 400). The Request
  // constructor used to refuse such a URL; the buffered stand-in does not parse it.
  const host = headers.get('host');
  if (host === null || !HOST.test(host)) return BAD_HOST;
  // uWS writes the interim 100 Continue itself, before the handler, for the exact lower-case
  // token; in any other case the client sends its body after its own wait (RFC 9110 §10.1.1).
  const expect = headers.get('expect');
  if (expect !== null && expect.toLowerCase() !== '100-continue') return EXPECTATION;
  return bodyFraming(headers, maxBodyBytes);
}

/** Up to 15 digits: Number() is exact there, and no longer length is under any body limit. */
const DECIMAL_LENGTH = /^\d{1,15}$/;
const DIGITS = /^\d+$/;

/** The body of a request: its declared length (0 when it has none), or chunked. */
export type BodyFraming = number | 'chunked';

/**
 * How long the request's body is, by RFC 9112 §6.3, or why that cannot be trusted.
 *
 * uWS frames the body before we see the request, and what it lets through is not always what it
 * framed by: of two Content-Length fields it reads the first, an empty Transfer-Encoding counts
 * as none, and a length it cannot parse still reaches the handler (uWS closes the connection
 * right after it). So anything but one plain decimal length, or a Transfer-Encoding that is
 * exactly chunked, is refused, and the bridge closes the connection after the answer: the
 * bytes that follow cannot be trusted to start the next request (a length merely too large
 * is the exception, see TOO_LARGE_DRAINED). Cheap on the hot path: a small POST costs two map
 * lookups and one short regular expression.
 */
export function bodyFraming(headers: HeaderList, maxBodyBytes: number): BodyFraming | Refusal {
  const length = headers.get('content-length');
  const coding = headers.get('transfer-encoding');
  if (coding !== null) {
    // Request smuggling's classic shape (RFC 9112 §6.1). uWS closes the connection itself
    // unless one of the two is empty, which it counts as absent.
    if (length !== null) return LENGTH_AND_CODING;
    const codings = coding.toLowerCase().split(',').map((c) => c.trim());
    const chunked = codings.filter((c) => c === 'chunked').length;
    if (codings[codings.length - 1] !== 'chunked') return NOT_FINAL_CHUNKED;
    if (chunked > 1) return CHUNKED_TWICE;
    // gzip, chunked and the like: framed right, but a coding the bridge does not decode (§6.1: 501).
    return codings.length === 1 ? 'chunked' : UNKNOWN_CODING;
  }
  // Neither: no body (§6.3 item 7), whatever the method.
  if (length === null) return 0;
  // Repeated fields arrive joined ("5, 5"), so a list, a sign or a blank all fail here.
  if (DECIMAL_LENGTH.test(length)) {
    const n = Number(length);
    return n <= maxBodyBytes ? n : n <= DRAINED_MAX ? TOO_LARGE_DRAINED : TOO_LARGE;
  }
  return DIGITS.test(length) ? TOO_LARGE : BAD_LENGTH;
}

