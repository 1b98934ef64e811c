/**
 * A stand-in for the Fetch `Request` handed to the handler when the body (if any) is already
 * in memory, which is every request with a Content-Length.
 *
 * undici's Request wraps even a byte body in a ReadableStream, builds a Headers list and
 * links an AbortSignal; a CPU profile of Parley's message posts under load put that, and
 * reading the body back out of the stream, at about a fifth of the server's JavaScript time.
 * Hono only reads `url`, `method`, `headers` and the body methods, so those are served
 * directly; any other Request member builds the real Request once and answers from it.
 */
import type { HeaderList } from './request-head.js';

const decoder = new TextDecoder();

export class BufferedRequest {
  private real?: Request;
  private used = false;

  constructor(
    readonly url: string,
    readonly method: string,
    readonly headers: HeaderList,
    private readonly content: Uint8Array<ArrayBuffer> | undefined,
  ) {}

  get bodyUsed(): boolean {
    return this.used || (this.real?.bodyUsed ?? false);
  }

  private take(): Uint8Array<ArrayBuffer> {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.content ?? new Uint8Array(0);
  }

  async text(): Promise<string> {
    return decoder.decode(this.take());
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }
  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }
  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], { type: this.headers.get('content-type') ?? '' });
  }
  formData(): Promise<FormData> {
    return this.toRequest().formData();
  }
  clone(): Request {
    return this.toRequest().clone();
  }

  // The rest of Request comes from the real one (getters installed below).
  declare readonly body: ReadableStream<Uint8Array> | null;
  declare readonly signal: AbortSignal;
  declare readonly cache: RequestCache;
  declare readonly credentials: RequestCredentials;
  declare readonly destination: RequestDestination;
  declare readonly integrity: string;
  declare readonly keepalive: boolean;
  declare readonly mode: RequestMode;
  declare readonly redirect: RequestRedirect;
  declare readonly referrer: string;
  declare readonly referrerPolicy: ReferrerPolicy;

  /** The real Request, built on first need; it owns the body from then on. */
  toRequest(): Request {
    if (!this.real) {
      const hasBody = this.method !== 'GET' && this.method !== 'HEAD';
      this.real = new Request(this.url, {
        method: this.method,
        headers: [...this.headers],
        body: hasBody && !this.used ? (this.content ?? null) : null,
      });
    }
    return this.real;
  }
}

const FROM_REAL_REQUEST = ['body', 'signal', 'cache', 'credentials', 'destination', 'integrity', 'keepalive', 'mode', 'redirect', 'referrer', 'referrerPolicy'] as const;
for (const key of FROM_REAL_REQUEST) {
  Object.defineProperty(BufferedRequest.prototype, key, {
    get(this: BufferedRequest) {
      return this.toRequest()[key];
    },
  });
}
