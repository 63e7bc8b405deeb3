// Threats: script injection, clickjacking, MIME sniffing, URL leaks to other sites, cached secrets, TLS
// stripping. The headers that answer them are on every response, whatever the route returned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import {
  CONTENT_SECURITY_POLICY,
  STRICT_TRANSPORT_SECURITY,
  securityHeaders,
} from '../../src/middleware/security-headers/index.ts';

function appWith(hsts: 'always' | 'forwarded-https' | 'never'): Hono {
  const app = new Hono();
  app.use('*', securityHeaders({ hsts }));
  app.get('/page', (c) => c.html('<p>hi</p>'));
  app.get('/cached', (c) => c.text('asset', 200, { 'Cache-Control': 'no-cache' }));
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.onError((_error, c) => c.text('fault', 500));
  return app;
}

test('the CSP allows only our own script and style files and forbids framing', () => {
  assert.equal(
    CONTENT_SECURITY_POLICY,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; " +
      "form-action 'self'; base-uri 'none'",
  );
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
});

test('every response carries the headers', async () => {
  const res = await appWith('never').request('/page');
  assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'same-origin');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('cache-control'), 'no-store');
});

test('Referrer-Policy is same-origin, not no-referrer (Chromium would send Origin: null on our own forms)', async () => {
  const res = await appWith('never').request('/page');
  assert.notEqual(res.headers.get('referrer-policy'), 'no-referrer');
});

test('a route that chose a cache policy keeps it; others get no-store', async () => {
  const app = appWith('never');
  assert.equal((await app.request('/cached')).headers.get('cache-control'), 'no-cache');
  assert.equal((await app.request('/page')).headers.get('cache-control'), 'no-store');
});

test('error and not-found responses carry the headers too', async () => {
  const app = appWith('never');
  for (const path of ['/boom', '/missing']) {
    const res = await app.request(path);
    assert.ok(res.status >= 400);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
  }
});

test('HSTS only when served over HTTPS', async () => {
  assert.equal((await appWith('never').request('/page')).headers.get('strict-transport-security'), null);
  assert.equal(
    (await appWith('always').request('/page')).headers.get('strict-transport-security'),
    STRICT_TRANSPORT_SECURITY,
  );
  assert.match(STRICT_TRANSPORT_SECURITY, /^max-age=31536000$/);
});

test('behind a TLS proxy: HSTS only on requests the proxy marks as HTTPS', async () => {
  const app = appWith('forwarded-https');
  const hsts = async (proto?: string) =>
    (await app.request('/page', proto ? { headers: { 'X-Forwarded-Proto': proto } } : {})).headers.get(
      'strict-transport-security',
    );
  assert.equal(await hsts('https'), STRICT_TRANSPORT_SECURITY);
  assert.equal(await hsts('https, http'), STRICT_TRANSPORT_SECURITY, 'the first (client-facing) hop counts');
  assert.equal(await hsts('http'), null);
  assert.equal(await hsts(), null);
});
