// Threat: a stolen or guessed password. Between the password step and the code step the session is
// "pending": it must grant nothing but the code step (no account pages, no settings), it dies after 5 minutes,
// and after 5 wrong codes, so the password alone never gets further than a few guesses at a 6-digit code.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { accountWithTOTP, browserFor, codeNow, logIn, PASSWORD } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

async function pendingBrowser() {
  const account = await accountWithTOTP(t);
  const b = browserFor(t);
  const res = await logIn(b, account.email);
  assert.equal(res.location, '/login/code');
  await b.get('/login/code'); // the page on screen: its form token is bound to the pending session
  return { b, ...account };
}

function wrongCode(secret: Uint8Array): string {
  // Not the code of any step inside the +-1 window.
  const window = [-1, 0, 1].map((offset) => codeNow(secret, t.clock, offset));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!window.includes(candidate)) return candidate;
  }
}

test('pending: the security page and the front page are out of reach', async () => {
  const { b } = await pendingBrowser();
  assert.equal((await b.get('/security')).location, '/login');
  assert.equal((await b.get('/')).location, '/login/code');
  const home = await b.get('/');
  assert.doesNotMatch(home.body, /Your account/);
});

test('pending: every settings form is refused, even with a valid token, and nothing changes', async () => {
  const { b, email, secret } = await pendingBrowser();
  const posts: [string, Record<string, string>][] = [
    ['/security/password', { currentPassword: PASSWORD, newPassword: 'taken over 123' }],
    ['/security/totp/disable', { password: PASSWORD, code: codeNow(secret, t.clock) }],
    ['/security/totp/replace', { password: PASSWORD, code: codeNow(secret, t.clock) }],
    ['/security/totp/begin', {}],
    ['/security/totp/confirm', { password: PASSWORD, code: codeNow(secret, t.clock) }],
  ];
  for (const [path, fields] of posts) {
    const res = await b.post(path, fields);
    assert.equal(res.status, 303, path);
    assert.equal(res.location, '/login', path);
  }
  const session = await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE)!);
  assert.equal(session?.state, 'pending');
  const user = await t.services.accounts.getUser(session!.userId);
  assert.equal(user?.totpEnabled, true, '2FA still on');
  const fresh = browserFor(t);
  assert.equal((await logIn(fresh, email, PASSWORD)).location, '/login/code', 'password unchanged');
});

test('five wrong codes end the pending session; the right code after that does nothing', async () => {
  const { b, secret } = await pendingBrowser();
  const wrong = wrongCode(secret);
  for (let attempt = 1; attempt <= 4; attempt++) {
    const res = await b.post('/login/code', { code: wrong });
    assert.equal(res.status, 401, `attempt ${attempt}`);
    assert.match(res.body, new RegExp(`${5 - attempt} attempts? left`));
  }
  const fifth = await b.post('/login/code', { code: wrong });
  assert.equal(fifth.status, 429);
  assert.match(fifth.body, /Too many wrong codes/);
  assert.match(fifth.body, /action="\/login"/, 'back to the password step');
  assert.equal(b.cookie(SESSION_COOKIE), undefined, 'the cookie is cleared');
  const right = await b.post('/login/code', { code: codeNow(secret, t.clock) });
  assert.equal(right.status, 303);
  assert.equal(right.location, '/login');
  assert.equal((await b.get('/security')).location, '/login');
});

test('the attempts belong to the pending session, and a new password step starts a new count', async () => {
  const { b, email, secret } = await pendingBrowser();
  const wrong = wrongCode(secret);
  for (let i = 0; i < 5; i++) await b.post('/login/code', { code: wrong });
  await logIn(b, email);
  await b.get('/login/code');
  assert.equal((await b.post('/login/code', { code: codeNow(secret, t.clock) })).location, '/');
});

test('a pending session dies after 5 minutes', async () => {
  const { b, secret } = await pendingBrowser();
  const token = b.cookie(SESSION_COOKIE)!;
  t.clock.advance(4 * 60_000 + 50_000);
  assert.ok(await t.services.auth.resolveSession(token), 'alive at 4:50');
  t.clock.advance(15_000);
  assert.equal(await t.services.auth.resolveSession(token), null, 'dead at 5:05');
  const res = await b.post('/login/code', { code: codeNow(secret, t.clock) });
  assert.equal(res.status, 401);
  assert.match(res.body, /Your session has ended/);
  assert.equal((await b.get('/login/code')).location, '/login');
});
