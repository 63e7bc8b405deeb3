/**
 * Security headers on every response.
 *
 * Threats: script injection (a CSP that allows only our own script and style files: no inline script, no
 * inline style attribute, no eval), clickjacking (`frame-ancestors 'none'`), MIME sniffing (nosniff),
 * leaking URLs to other sites (`Referrer-Policy: same-origin`; not `no-referrer`, under which Chromium sends
 * `Origin: null` on same-origin form posts and the CSRF origin check would refuse every form), secrets or
 * CSRF tokens kept in shared or back-button caches (`Cache-Control: no-store` unless a route chose a
 * policy, as the static files do), TLS stripping after a first visit (HSTS when served over HTTPS).
 */
import type { MiddlewareHandler } from 'hono';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
].join('; ');

/** One year (the usual recommendation). No includeSubDomains: the operator's other hosts are not ours to pin. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export interface SecurityHeadersOptions {
  /**
   * When to send HSTS: `always` (the public URL is https:), `forwarded-https` (behind a TLS proxy: only on
   * requests the proxy marks `X-Forwarded-Proto: https`, since HSTS means nothing over plain HTTP), `never`.
   */
  readonly hsts: 'always' | 'forwarded-https' | 'never';
}

export function securityHeaders(options: SecurityHeadersOptions): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    headers.set('Referrer-Policy', 'same-origin');
    headers.set('X-Frame-Options', 'DENY'); // frame-ancestors for browsers that predate it
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
    const https =
      options.hsts === 'always' ||
      (options.hsts === 'forwarded-https' &&
        c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https');
    if (https) headers.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
  };
}
