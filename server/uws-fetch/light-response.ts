/**
 * A Response that keeps a string or byte body as it is, so the bridge can write it without
 * a stream in between.
 *
 * undici gives every Response with a body a ReadableStream, and a server then reads the bytes
 * back out of it: a CPU profile of Parley's message posts under load put building and reading
 * that stream at about a fifth of the server's JavaScript time, for a few dozen bytes of
 * JSON. Hono makes its answers with `new Response(...)` on whatever the global Response is,
 * so installLightResponse() puts this class there (as @hono/node-server does with its own):
 * a string, bytes or no body is held, together with the status and a snapshot of the
 * headers, exactly as the Fetch API would have taken them; any other body (a stream, a Blob,
 * form data), and any use of a member that needs the real thing (`body`, `text()`,
 * `clone()` of a stream...), builds the undici Response once and answers from it.
 *
 * To the rest of the program it is a Response: `instanceof Response` holds both ways, it has
 * every member of the real one, and the static methods are the real ones.
 */

const NativeResponse: typeof Response = globalThis.Response;

/** A body the bridge can write as it is. */
export type HeldBody = string | Uint8Array<ArrayBuffer>;

/** What a light Response holds while nothing needed the real one. */
export interface HeldAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  body: HeldBody | null;
  /**
   * Bytes in the body of the answer this one was made from without its body: Hono answers
   * HEAD with `new Response(null, getAnswer)`, and HEAD should tell GET's length.
   */
  lengthOfSource: number | undefined;
}

/** Statuses whose answers never carry a body (Fetch's "null body status"). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
/** RFC 9112's reason-phrase. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A status as undici reads it: a number, truncated, modulo 65536 (a negative one stays out of range). */
function unsignedShort(n: number): number {
  const x = Number(n);
  return Number.isFinite(x) ? Math.trunc(x) % 65536 : 0;
}

const byteLength = (body: HeldBody) => (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);

export class LightResponse {
  /**
   * The held body behind the stream of a real Response built from a light one. Hono copies an
   * answer as `new Response(answer.body, answer)` when a header is set after it was made; an
   * untouched stream found here is taken back as the held body, and the copy stays light.
   */
  static readonly #heldBodyOf = new WeakMap<ReadableStream, HeldBody>();
  #held: HeldAnswer | undefined;
  #real: Response | undefined;
  #used = false;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    if (body instanceof ReadableStream && !body.locked) body = LightResponse.#heldBodyOf.get(body) ?? body;
    if (body !== null && body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      this.#real = new NativeResponse(body, init);
      return;
    }
    const status = init?.status === undefined ? 200 : unsignedShort(init.status);
    const statusText = init?.statusText ?? '';
    // The Fetch API's own checks, with its error types, so a light answer fails where a real one would.
    if (status < 200 || status > 599) throw new RangeError(`Response status ${status} is not in 200-599`);
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('Response statusText is not a reason phrase');
    if (body != null && NULL_BODY_STATUS.has(status)) throw new TypeError(`Response with status ${status} cannot have a body`);
    const headers = new Headers(init?.headers);
    if (typeof body === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    const source = typeof init === 'object' && init !== null && #held in init ? (init as LightResponse).#held : undefined;
    this.#held = {
      status,
      statusText,
      headers,
      // Bytes are copied, as the real Response does: the caller may reuse its buffer. (Not with
      // slice(): on a Buffer that makes a view.)
      body: body instanceof Uint8Array ? new Uint8Array(body) : (body ?? null),
      lengthOfSource: body != null ? undefined : source?.body ? byteLength(source.body) : source?.lengthOfSource,
    };
  }

  /**
   * The held answer of a light Response, for its writer; taking it uses the body up. Undefined
   * for anything else (a real Response, or a light one that had to build its real one).
   */
  static take(response: Response): HeldAnswer | undefined {
    if (!(#held in response)) return undefined;
    const light = response as unknown as LightResponse;
    if (!light.#held || light.#used) return undefined;
    light.#used = true;
    return light.#held;
  }

  /** Whether a Response is light and never needed its real one (so a writer took its held body). */
  static holds(response: Response): boolean {
    return #held in response && (response as unknown as LightResponse).#held !== undefined;
  }

  /** The real Response behind a light one (built now if need be). */
  static real(response: LightResponse): Response {
    return response.#toReal();
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }

  /** The undici Response, built on first need from what was held; it answers from then on. */
  #toReal(): Response {
    if (!this.#real) {
      const held = this.#held!;
      this.#real = new NativeResponse(held.body as BodyInit | null | undefined, { status: held.status, statusText: held.statusText, headers: held.headers });
      if (held.body !== null && this.#real.body) LightResponse.#heldBodyOf.set(this.#real.body, held.body);
      // The real one owns the body now, used or not.
      if (this.#used) void this.#real.arrayBuffer().catch(() => {});
      this.#held = undefined;
    }
    return this.#real;
  }

  get status(): number {
    return this.#held ? this.#held.status : this.#real!.status;
  }
  get statusText(): string {
    return this.#held ? this.#held.statusText : this.#real!.statusText;
  }
  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }
  get headers(): Headers {
    return this.#held ? this.#held.headers : this.#real!.headers;
  }
  get bodyUsed(): boolean {
    return this.#held ? this.#used : this.#real!.bodyUsed;
  }
  get type(): ResponseType {
    return this.#held ? 'default' : this.#real!.type;
  }
  get url(): string {
    return this.#held ? '' : this.#real!.url;
  }
  get redirected(): boolean {
    return this.#held ? false : this.#real!.redirected;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.#toReal().body;
  }

  async text(): Promise<string> {
    return this.#toReal().text();
  }
  async json(): Promise<unknown> {
    return this.#toReal().json() as Promise<unknown>;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#toReal().arrayBuffer();
  }
  async blob(): Promise<Blob> {
    return this.#toReal().blob();
  }
  async formData(): Promise<FormData> {
    return this.#toReal().formData();
  }
  clone(): Response {
    const held = this.#held;
    if (!held || this.#used) return this.#toReal().clone();
    return new LightResponse(held.body as BodyInit | null, { status: held.status, statusText: held.statusText, headers: held.headers }) as unknown as Response;
  }
}

// Everything else a Response has (bytes() where this Node has it...) comes from the real one.
for (const key of Object.getOwnPropertyNames(NativeResponse.prototype)) {
  if (key === 'constructor' || Object.prototype.hasOwnProperty.call(LightResponse.prototype, key)) continue;
  const native = Object.getOwnPropertyDescriptor(NativeResponse.prototype, key)!;
  const method = native.value as ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(
    LightResponse.prototype,
    key,
    typeof method === 'function'
      ? { configurable: true, writable: true, value(this: LightResponse, ...args: unknown[]) { return method.apply(LightResponse.real(this), args); } }
      : { configurable: true, get(this: LightResponse) { return native.get?.call(LightResponse.real(this)); } },
  );
}
// Light answers pass as real ones (instanceof, and members looked up through the prototype).
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
// Response.json(), Response.error(), Response.redirect().
Object.setPrototypeOf(LightResponse, NativeResponse);

/**
 * Makes LightResponse the global Response, once: every `new Response(...)` from then on (Hono's
 * among them) makes a light one. Responses from fetch() stay undici's.
 */
export function installLightResponse(): void {
  if (globalThis.Response === (LightResponse as unknown)) return;
  Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, configurable: true, enumerable: false });
}
