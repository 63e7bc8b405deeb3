import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('the stylesheet and the copy script, with their types and a revalidation policy', async () => {
  const css = await t.app.request('/static/app.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal(css.headers.get('cache-control'), 'no-cache');
  assert.match(await css.text(), /font/);
  const js = await t.app.request('/static/copy.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(await js.text(), /navigator\.clipboard\.writeText/);
  assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
});

test('a matching ETag answers 304 without a body', async () => {
  const first = await t.app.request('/static/app.css');
  const etag = first.headers.get('etag');
  assert.ok(etag);
  const again = await t.app.request('/static/app.css', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
});

test('static files neither read nor set cookies', async () => {
  const res = await t.app.request('/static/app.css', { headers: { Cookie: 'twofa_session=x' } });
  assert.deepEqual(res.headers.getSetCookie(), []);
});

test('only the two files exist: other names and traversal attempts are 404', async () => {
  for (const path of [
    '/static/',
    '/static/other.js',
    '/static/../app.ts',
    '/static/%2e%2e/app.ts',
    '/static/..%2fapp.ts',
  ]) {
    assert.equal((await t.app.request(path)).status, 404, path);
  }
});
