// Threat: the TOTP secret leaking after set-up (a shoulder, a screenshot, a shared screen, the browser's
// history or cache, a proxy log). It is shown only while set-up is pending; once confirmed no page, header or
// URL carries it again, in any encoding, and it is never in a form field or URL even during set-up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeBase32 } from '@twofa/otp';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { type Browser, keyFromPage, type Page } from '../support/client.ts';
import {
  beginSetUp,
  browserFor,
  codeNow,
  logIn,
  logOut,
  PASSWORD,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

/** The forms the secret could take in a page: base32 (grouped or not, any case), hex, base64, base64url. */
function encodings(secret: Uint8Array): string[] {
  const base32 = encodeBase32(secret, { padding: false });
  const bytes = Buffer.from(secret);
  return [
    base32,
    base32.toLowerCase(),
    bytes.toString('hex'),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
}

/** `setUpPending`: the page may show another key's set-up (the QR and link of a replacement). */
function assertAbsent(page: Page, secret: Uint8Array, where: string, setUpPending = false): void {
  const squeezed = page.body.replace(/\s+/g, ''); // catches "ABCD EFGH ..." grouping too
  for (const form of encodings(secret)) {
    const probe = form.slice(0, 16); // any 16-character run is enough to find it
    assert.ok(!squeezed.includes(probe), `${where}: page contains the secret (${probe.length} chars)`);
    for (const [name, value] of page.headers) {
      assert.ok(!value.includes(probe), `${where}: header ${name} contains the secret`);
    }
  }
  if (setUpPending) return;
  assert.doesNotMatch(page.body, /otpauth:/, `${where}: otpauth link`);
  assert.doesNotMatch(page.body, /<svg/, `${where}: QR code`);
}

async function crawl(b: Browser): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>();
  for (const path of [
    '/',
    '/security',
    '/security?done=totp-on',
    '/security?done=totp-replaced',
    '/login',
    '/signup',
    '/login/code',
  ]) {
    pages.set(path, await b.get(path));
  }
  return pages;
}

test('after set-up is confirmed, no page shows the secret again', async () => {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  const { secret, page } = await beginSetUp(b);
  assert.ok(
    page.body.replace(/\s+/g, '').includes(encodeBase32(secret, { padding: false })),
    'shown while pending',
  );
  const confirm = await b.post('/security/totp/confirm', {
    password: PASSWORD,
    code: codeNow(secret, t.clock),
  });
  assertAbsent(confirm, secret, 'confirm response');
  for (const [path, p] of await crawl(b)) assertAbsent(p, secret, `signed in ${path}`);

  // Failed attempts at the forms that take a code show error pages: none of them brings it back.
  assertAbsent(
    await b.post('/security/totp/disable', { password: 'wrong password', code: '000000' }),
    secret,
    'disable error',
  );
  assertAbsent(
    await b.post('/security/totp/replace', { password: PASSWORD, code: '000000' }),
    secret,
    'replace error',
  );
  assertAbsent(await b.post('/security/totp/begin'), secret, 'begin while on');

  // Nor the sign-in pages.
  await logOut(b);
  t.clock.advance(30_000);
  const password = await logIn(b, email);
  assertAbsent(password, secret, 'password step');
  for (const [path, p] of await crawl(b)) assertAbsent(p, secret, `pending ${path}`);
  assertAbsent(await b.post('/login/code', { code: '000000' }), secret, 'wrong code');
});

test('after replacing the app, neither the old nor the new secret is shown', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  const { secret: oldSecret } = await beginSetUp(b);
  await b.post('/security/totp/confirm', { password: PASSWORD, code: codeNow(oldSecret, t.clock) });
  t.clock.advance(30_000);
  await b.get('/security');
  await b.post('/security/totp/replace', { password: PASSWORD, code: codeNow(oldSecret, t.clock) });
  const pending = await b.get('/security');
  assertAbsent(pending, oldSecret, 'replacement set-up page (old secret)', true);
  const newSecret = keyFromPage(pending.body).secret;
  await b.post('/security/totp/confirm', { password: PASSWORD, code: codeNow(newSecret, t.clock) });
  for (const [path, p] of await crawl(b)) {
    assertAbsent(p, oldSecret, `after replace ${path} (old)`);
    assertAbsent(p, newSecret, `after replace ${path} (new)`);
  }
});

test('during set-up the secret is in no form field, URL or redirect', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  await b.get('/security');
  const begin = await b.post('/security/totp/begin');
  assert.equal(begin.location, '/security');
  const page = await b.get('/security');
  const secret = keyFromPage(page.body).secret;
  const probe = encodeBase32(secret, { padding: false }).slice(0, 16);
  for (const input of page.body.match(/<input\b[^>]*>/g) ?? []) assert.ok(!input.includes(probe), input);
  for (const action of page.body.match(/action="[^"]*"/g) ?? []) assert.ok(!action.includes(probe), action);
  const wrong = await b.post('/security/totp/confirm', {
    password: PASSWORD,
    code: '000000' === codeNow(secret, t.clock) ? '111111' : '000000',
  });
  assert.equal(wrong.location, null);
  assert.equal(wrong.headers.get('cache-control'), 'no-store');
});

test("another account never sees this account's pending secret", async () => {
  const owner = browserFor(t);
  await signUp(owner, uniqueEmail());
  const { secret } = await beginSetUp(owner);
  const other = browserFor(t);
  await signUp(other, uniqueEmail());
  for (const [path, p] of await crawl(other)) assertAbsent(p, secret, `other account ${path}`);
});
