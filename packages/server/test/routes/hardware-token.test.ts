/**
 * The hardware-token pages: registering a token from the security page (its key, two codes, the password),
 * the sign-in page for its codes with the "Token out of sync?" form, the code page's link to it, and removal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeBase32, generateHOTP } from '@twofa/otp';
import { DEVICE_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { unescapeHtml } from '../support/client.ts';
import {
  browserFor,
  enableTOTP,
  logIn,
  logOut,
  PASSWORD,
  recoveryCodesFromPage,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

const SECRET = Uint8Array.from({ length: 20 }, (_, i) => (i * 53 + 7) & 0xff);
const KEY = encodeBase32(SECRET);
const code = (counter: number) => generateHOTP({ secret: SECRET, counter });

describe('hardware-token pages', () => {
  let t: TestApp;
  before(async () => {
    t = await makeTestApp();
  });
  after(() => t.close());

  /** A signed-in browser whose account has the token registered (codes 0 and 1 used). */
  async function withToken() {
    const b = browserFor(t);
    const email = uniqueEmail('token');
    await signUp(b, email);
    await b.get('/security');
    const page = await b.post('/security/token/register', {
      key: KEY,
      code: code(0),
      nextCode: code(1),
      password: PASSWORD,
    });
    return { b, email, page };
  }

  test('registering shows recovery codes once; the page then says the token is on', async () => {
    const { b, page } = await withToken();
    assert.equal(page.status, 200);
    assert.equal(recoveryCodesFromPage(page.body).length, 10);
    assert.match(page.body, /signing in asks for a code from your hardware token/);
    const security = await b.get('/security');
    assert.match(
      security.body,
      /On since \d{4}-\d\d-\d\d: signing in can use a code from your hardware token/,
    );
    assert.match(security.body, /action="\/security\/token\/remove"/);
    assert.doesNotMatch(security.body, new RegExp(KEY.slice(0, 16)), 'the key is never shown again');
    assert.match(security.body, /Hardware token registered/, 'the recent activity names it');
  });

  test('a wrong key, wrong codes or a wrong password: the form again with the reason, nothing registered', async () => {
    const b = browserFor(t);
    await signUp(b, uniqueEmail('token'));
    await b.get('/security');
    const badKey = await b.post('/security/token/register', {
      key: 'abc!',
      code: code(0),
      nextCode: code(1),
      password: PASSWORD,
    });
    assert.equal(badKey.status, 400);
    assert.match(unescapeHtml(badKey.body), /That key is not one we can use/);
    const badCodes = await b.post('/security/token/register', {
      key: KEY,
      code: code(1),
      nextCode: code(0),
      password: PASSWORD,
    });
    assert.equal(badCodes.status, 400);
    assert.match(badCodes.body, /Those codes do not match the key/);
    const badPassword = await b.post('/security/token/register', {
      key: KEY,
      code: code(0),
      nextCode: code(1),
      password: 'wrong password',
    });
    assert.equal(badPassword.status, 401);
    assert.doesNotMatch(badPassword.body, new RegExp(KEY), 'the key typed is not echoed');
    assert.match((await b.get('/security')).body, /action="\/security\/token\/register"/);
    const logs = t.logs.join('\n');
    for (const typed of [KEY, code(0), code(1)]) assert.ok(!logs.includes(typed), 'nothing typed is logged');
  });

  test('signing in: the code page sends a token-only account to /login/token; a code there signs in', async () => {
    const { b, email } = await withToken();
    await logOut(b);
    const login = await logIn(b, email);
    assert.equal(login.location, '/login/code');
    const codePage = await b.get('/login/code');
    assert.equal(codePage.location, '/login/token');
    const tokenPage = await b.get('/login/token');
    assert.equal(tokenPage.status, 200);
    assert.match(tokenPage.body, /Token out of sync\?/);
    const wrong = await b.post('/login/token', { code: '000000' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /attempts left/);
    const right = await b.post('/login/token', { code: code(5) }); // pressed a few times: within 10
    assert.equal(right.status, 303);
    assert.equal(right.location, '/');
  });

  test('the token page says when the spent budget refuses codes (not only the short-term lock), like the code page', async () => {
    const { b, email } = await withToken();
    await logOut(b);
    for (let i = 0; i < 30; i++) {
      if (i % 5 === 0) {
        await logIn(b, email);
        await b.get('/login/token');
      }
      const page = await b.post('/login/token', { code: String(900000 + i) });
      t.clock.advance(10_000); // under the per-client request budget
      if (page.status === 429 && i < 29) t.clock.advance(2 * 60 * 60 * 1000); // past each lock
      if (page.status === 429) await logOut(b);
    }
    t.clock.advance(2 * 60 * 60 * 1000); // past the third lock: only the budget refuses now
    await logIn(b, email);
    const page = await b.get('/login/token');
    assert.equal(page.status, 429);
    assert.match(page.body, /over the past weeks/);
    const retryAfter = Number(page.headers.get('retry-after'));
    assert.ok(retryAfter > 12 * 60 * 60, `the budget's wait (hours), not the lock's: ${retryAfter} s`);
    assert.doesNotMatch(page.body, /name="code"/, 'no form to type into while refused');
  });

  test('"Token out of sync?": two consecutive codes far ahead sign in; a wrong pair shows its error there', async () => {
    const { b, email } = await withToken();
    await logOut(b);
    await logIn(b, email);
    await b.get('/login/token');
    const wrong = await b.post('/login/token/resync', { code: code(400), nextCode: code(402) });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /<details open>/, 'the out-of-sync form stays open with its error');
    const malformed = await b.post('/login/token/resync', { code: code(400), nextCode: '12' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /Enter the 6 digits your hardware token shows/);
    const right = await b.post('/login/token/resync', { code: code(400), nextCode: code(401) });
    assert.equal(right.status, 303);
    assert.equal(right.location, '/');
  });

  test('"Remember this device" on the token page (both forms): ticked, the device cookie is set and the next sign-in skips the token', async () => {
    const { b, email } = await withToken();
    await logOut(b);
    await logIn(b, email);
    const page = await b.get('/login/token');
    const boxes = page.body.match(/name="rememberDevice" type="checkbox" value="yes" autocomplete="off">/g);
    assert.equal(boxes?.length, 2, 'offered, not ticked, in the code form and the out-of-sync form');
    assert.match(page.body, /id="token-resync-remember-device"/, 'ids stay unique');
    const plain = await b.post('/login/token', { code: code(2) });
    assert.equal(plain.location, '/');
    assert.equal(b.cookie(DEVICE_COOKIE), undefined, 'unticked: nothing remembered');
    await logOut(b);
    await logIn(b, email);
    await b.get('/login/token');
    const ticked = await b.post('/login/token', { code: code(3), rememberDevice: 'yes' });
    assert.equal(ticked.location, '/');
    assert.ok(b.cookie(DEVICE_COOKIE), 'the device cookie is set');
    await logOut(b);
    assert.equal((await logIn(b, email)).location, '/', 'the remembered browser skips the token');
    // The out-of-sync form remembers too.
    const other = browserFor(t);
    await logIn(other, email);
    await other.get('/login/token');
    const resync = await other.post('/login/token/resync', {
      code: code(300),
      nextCode: code(301),
      rememberDevice: 'yes',
    });
    assert.equal(resync.location, '/');
    assert.ok(other.cookie(DEVICE_COOKIE), 'the device cookie is set after a resynchronisation');
  });

  test('with the app too: the code page links to the token page, and either signs in', async () => {
    const b = browserFor(t);
    const email = uniqueEmail('both');
    await signUp(b, email);
    await enableTOTP(b, t.clock);
    await b.get('/security');
    const registered = await b.post('/security/token/register', {
      key: KEY,
      code: code(0),
      nextCode: code(1),
      password: PASSWORD,
    });
    assert.equal(registered.status, 303, 'recovery codes kept: no page of codes');
    await logOut(b);
    await logIn(b, email);
    const codePage = await b.get('/login/code');
    assert.equal(codePage.status, 200);
    assert.match(codePage.body, /href="\/login\/token">Use your hardware token/);
    const tokenPage = await b.get('/login/token');
    assert.match(tokenPage.body, /href="\/login\/code">Use the code from your app instead/);
    const right = await b.post('/login/token', { code: code(2) });
    assert.equal(right.location, '/');
  });

  test('removal needs the password and a current code from the token', async () => {
    const { b, email } = await withToken();
    await b.get('/security');
    const wrong = await b.post('/security/token/remove', { password: PASSWORD, code: '000000' });
    assert.equal(wrong.status, 401);
    const removed = await b.post('/security/token/remove', { password: PASSWORD, code: code(2) });
    assert.equal(removed.location, '/security?done=token-off');
    await logOut(b);
    const login = await logIn(b, email);
    assert.equal(login.location, '/', 'the password alone signs in again');
  });
});
