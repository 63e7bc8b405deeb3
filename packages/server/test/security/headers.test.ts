// Threats: script injection and clickjacking (CSP without inline script or style, frame-ancestors 'none'),
// MIME sniffing, URLs leaking to other sites, and pages with secrets or CSRF tokens kept in caches. Every page
// in every state is fetched and checked, including the set-up page that shows the key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../src/middleware/security-headers/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Page } from '../support/client.ts';
import {
  accountWithTOTP,
  beginSetUp,
  browserFor,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;
let pages: Map<string, Page>;
before(async () => {
  t = await makeTestApp();
  pages = await everyPage();
});
after(() => t.close());

/** Every HTML page a person can reach, in each state: visitor, signed in, setting up, 2FA on, mid-login. */
async function everyPage(): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>();
  const visitor = browserFor(t);
  for (const path of ['/', '/signup', '/login', '/no-such-page'])
    pages.set(`visitor ${path}`, await visitor.get(path));

  const user = browserFor(t);
  await signUp(user, uniqueEmail());
  for (const path of ['/', '/security', '/security?done=welcome'])
    pages.set(`signed in ${path}`, await user.get(path));
  const { page } = await beginSetUp(user);
  pages.set('set-up page', page);
  pages.set('set-up error', await user.post('/security/totp/confirm', { password: PASSWORD, code: '12' }));

  const { email } = await accountWithTOTP(t);
  const pending = browserFor(t);
  await logIn(pending, email);
  pages.set('code step', await pending.get('/login/code'));
  pages.set('wrong code', await pending.post('/login/code', { code: '00000' }));
  pages.set('csrf refusal', await pending.post('/login/code', { code: '123456' }, { csrf: 'forged' }));
  return pages;
}

test('every page: CSP, nosniff, same-origin referrers, no framing', () => {
  for (const [name, page] of pages) {
    assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, name);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff', name);
    assert.equal(page.headers.get('referrer-policy'), 'same-origin', name);
    assert.equal(page.headers.get('x-frame-options'), 'DENY', name);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/, name);
  }
});

test('every page: Cache-Control no-store (the set-up page shows a secret; every form carries a token)', () => {
  for (const [name, page] of pages) assert.equal(page.headers.get('cache-control'), 'no-store', name);
});

test('no inline script, inline style, event handler attribute or javascript: URL in any page', () => {
  for (const [name, page] of pages) {
    for (const tag of page.body.match(/<script\b[^>]*>/g) ?? []) {
      assert.match(tag, /^<script src="\/static\/[a-z-]+\.js" defer>$/, `${name}: ${tag}`);
    }
    assert.doesNotMatch(page.body, /<script\b[^>]*>[^<]+<\/script>/, `${name}: script body`);
    assert.doesNotMatch(page.body, /<style\b/i, `${name}: <style>`);
    assert.doesNotMatch(page.body, /\sstyle\s*=/i, `${name}: style attribute`);
    assert.doesNotMatch(page.body, /\son[a-z]+\s*=/i, `${name}: event handler attribute`);
    assert.doesNotMatch(page.body, /javascript:/i, `${name}: javascript: URL`);
  }
});

test('pages are usable on a phone and by keyboard: viewport, lang, labelled inputs', () => {
  for (const [name, page] of pages) {
    assert.match(page.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/, name);
    assert.match(page.body, /<html lang="en">/, name);
    for (const input of page.body.match(/<input\b[^>]*>/g) ?? []) {
      if (/type="hidden"/.test(input)) continue;
      const id = /id="([^"]+)"/.exec(input)?.[1];
      assert.ok(id, `${name}: input without id: ${input}`);
      assert.ok(page.body.includes(`<label for="${id}">`), `${name}: no label for ${id}`);
      assert.match(input, /autocomplete="[a-z-]+"/, `${name}: ${id} has autocomplete`);
    }
  }
});

test('the set-up page loads the copy script from /static (the only script there is)', () => {
  const page = pages.get('set-up page')!;
  assert.deepEqual(page.body.match(/<script\b[^>]*>/g), ['<script src="/static/copy.js" defer>']);
});

test('code inputs ask phones for the numeric keypad and offer one-time-code autofill', () => {
  for (const name of ['set-up page', 'code step']) {
    const inputs = pages.get(name)!.body.match(/<input\b[^>]*name="code"[^>]*>/g) ?? [];
    assert.ok(inputs.length > 0, name);
    for (const input of inputs) {
      assert.match(input, /autocomplete="one-time-code"/);
      assert.match(input, /inputmode="numeric"/);
    }
  }
});
