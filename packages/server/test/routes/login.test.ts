import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { normalizeCode } from '../../src/services/factors/totp.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import {
  accountWithTOTP,
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

test('the form: labelled email and current-password fields', async () => {
  const page = await browserFor(t).get('/login');
  assert.equal(page.status, 200);
  assert.match(page.body, /<label for="email">Email<\/label>/);
  assert.match(page.body, /autocomplete="username"/);
  assert.match(page.body, /<label for="password">Password<\/label>/);
  assert.match(page.body, /type="password" autocomplete="current-password"/);
});

test('without 2FA the password alone signs in', async () => {
  const email = uniqueEmail();
  const first = browserFor(t);
  await signUp(first, email);
  const b = browserFor(t);
  const res = await logIn(b, email);
  assert.equal(res.status, 303);
  assert.equal(res.location, '/');
  const session = await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE)!);
  assert.equal(session?.state, 'full');
  assert.equal((await b.get('/login')).location, '/', 'signed in: /login goes home');
});

test('a wrong password: 401, a message, the email kept', async () => {
  const email = uniqueEmail();
  await signUp(browserFor(t), email);
  const b = browserFor(t);
  const res = await logIn(b, email, 'wrong password!');
  assert.equal(res.status, 401);
  assert.match(res.body, /role="alert">The email or password is not correct\./);
  assert.ok(res.body.includes(`value="${email}"`));
  assert.equal(b.cookie(SESSION_COOKIE), undefined);
});

test('with 2FA: password, then the code page, then signed in', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  const res = await logIn(b, email);
  assert.equal(res.status, 303);
  assert.equal(res.location, '/login/code');
  assert.equal((await b.get('/login')).location, '/login/code', 'pending: /login goes to the code step');
  const page = await b.get('/login/code');
  assert.equal(page.status, 200);
  assert.match(page.body, /<label for="code">Code from your authenticator app<\/label>/);
  assert.match(page.body, /name="code" type="text" autocomplete="one-time-code" required/);
  assert.match(page.body, /inputmode="numeric"/);
  const done = await b.post('/login/code', { code: codeNow(secret, t.clock) });
  assert.equal(done.status, 303);
  assert.equal(done.location, '/');
  const home = await b.get('/');
  assert.ok(home.body.includes(email));
  assert.equal((await b.get('/login/code')).location, '/', 'signed in: the code step goes home');
});

test('a code typed with a space in the middle works', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  await b.get('/login/code');
  const code = codeNow(secret, t.clock);
  const res = await b.post('/login/code', { code: `${code.slice(0, 3)} ${code.slice(3)}` });
  assert.equal(res.status, 303);
  assert.equal(res.location, '/');
});

/** ASCII digits as a phone's full-width keyboard types them (U+FF10..U+FF19). */
const fullWidth = (digits: string) => digits.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d)));

test('codes as typed: full-width digits, spaces and hyphens come out as the six digits', () => {
  const cases: [string, string][] = [
    ['123456', '123456'],
    [' 123 456 ', '123456'],
    ['123-456', '123456'],
    ['12-34-56', '123456'],
    [fullWidth('123456'), '123456'],
    [`${fullWidth('123')} ${fullWidth('456')}`, '123456'],
    [`${fullWidth('123')}\u3000${fullWidth('456')}`, '123456'], // ideographic space
    [`${fullWidth('123')}\uff0d${fullWidth('456')}`, '123456'], // full-width hyphen-minus
    ['123\u2010456', '123456'], // hyphen
    ['123\u2011456', '123456'], // non-breaking hyphen
  ];
  for (const [typed, digits] of cases) assert.equal(normalizeCode(typed), digits, JSON.stringify(typed));
});

test('anything else stays as typed and is refused by the service', () => {
  for (const typed of [
    '\u0661\u0662\u0663\u0664\u0665\u0666', // Arabic-Indic digits: NFKC leaves them
    '123\u2013456', // en dash
    '123.456',
    '123_456',
    'I23456',
    '',
  ]) {
    assert.equal(normalizeCode(typed), undefined, JSON.stringify(typed));
  }
});

test('a code typed with full-width digits and a full-width hyphen signs in', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  await b.get('/login/code');
  const code = codeNow(secret, t.clock);
  const typed = `${fullWidth(code.slice(0, 3))}\uff0d${fullWidth(code.slice(3))}`;
  const res = await b.post('/login/code', { code: typed });
  assert.equal(res.status, 303);
  assert.equal(res.location, '/');
});

test('a wrong code: 401 with the attempts left', async () => {
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  await logIn(b, email);
  await b.get('/login/code');
  const wrong = codeNow(secret, t.clock) === '000000' ? '111111' : '000000';
  const res = await b.post('/login/code', { code: wrong });
  assert.equal(res.status, 401);
  assert.match(res.body, /role="alert">That code is not valid, or it was already used\..* 4 attempts left\./);
});

test('the code step without a pending sign-in goes to /login', async () => {
  const b = browserFor(t);
  assert.equal((await b.get('/login/code')).location, '/login');
  await b.get('/login');
  const res = await b.post('/login/code', { code: '123456' });
  assert.equal(res.status, 303);
  assert.equal(res.location, '/login');
});

test('a full session cannot post to the code step (it is not pending)', async () => {
  const b = browserFor(t);
  await signUp(b, uniqueEmail());
  await b.get('/');
  const res = await b.post('/login/code', { code: '123456' });
  assert.equal(res.status, 303);
  assert.equal(res.location, '/login');
});

test('logging in again from a signed-in browser replaces its session', async () => {
  const email = uniqueEmail();
  const b = browserFor(t);
  await signUp(b, email);
  await logOut(b);
  await logIn(b, email, PASSWORD);
  const first = b.cookie(SESSION_COOKIE)!;
  // A login posted from a page of the signed-in browser (its token is bound to the session now).
  await b.get('/');
  const res = await b.post('/login', { email, password: PASSWORD });
  assert.equal(res.status, 303);
  assert.notEqual(b.cookie(SESSION_COOKIE), first);
  assert.equal(await t.services.auth.resolveSession(first), null);
});
