/**
 * Response headers that keep browsers from misusing Parley's answers: the page may not be
 * framed (clickjacking), runs only its own scripts, leaks no referrer, and nothing is
 * sniffed into another type. Hono's secureHeaders writes them; this module says which.
 *
 * Styles may be inline: the page carries its theme in a <style> block and Lit templates set
 * `style="--hue: …"` attributes, which CSP counts as inline. Scripts may not.
 */
import { secureHeaders } from 'hono/secure-headers';
import type { MiddlewareHandler } from 'hono';

const PAGE_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  // 'self' covers the same-origin ws:/wss: URL of /ws in current browsers.
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Every answer: the page's policy too, since a JSON answer opened directly is a page as well. */
export function securityHeaders(opts: { https: boolean }): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: PAGE_POLICY,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    // Only meaningful, and only honoured, when Parley is reached over https.
    strictTransportSecurity: opts.https,
    crossOriginEmbedderPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    originAgentCluster: false,
  });
}
