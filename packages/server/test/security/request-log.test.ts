// Threat: secrets in logs. Logs are copied, shipped and kept longer than the database. After a whole life of
// an account (sign-up, set-up, wrong and right codes, a refused forgery, a password change, logout), no log
// line, from the request log or the services, holds a password, a code, the TOTP secret, a cookie value, a
// session token, a CSRF token or the email address.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeBase32 } from '@twofa/otp';
import { PRE_SESSION_COOKIE } from '../../src/middleware/csrf/index.ts';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
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

test('a whole account life leaves no secret in the logs', async () => {
  const seen = new Set<string>();
  const remember = (value: string | undefined) => {
    if (value) seen.add(value);
  };
  const b = browserFor(t);
  const email = uniqueEmail('logged');
  const newPassword = 'second password value';
  remember(email);
  remember(PASSWORD);
  remember(newPassword);

  await b.get('/signup');
  remember(b.cookie(PRE_SESSION_COOKIE));
  remember(b.csrf);
  await signUp(b, email);
  remember(b.cookie(SESSION_COOKIE));
  const { secret } = await beginSetUp(b);
  remember(b.csrf);
  const base32 = encodeBase32(secret, { padding: false });
  remember(base32);
  remember(Buffer.from(secret).toString('hex'));
  const confirmCode = codeNow(secret, t.clock);
  remember(confirmCode);
  await b.post('/security/totp/confirm', { password: PASSWORD, code: confirmCode });
  await b.post('/logout', {}, { csrf: 'forged-csrf-token' }); // refused, and logged as a refusal
  remember('forged-csrf-token');
  await logOut(b);

  t.clock.advance(30_000);
  await logIn(b, email);
  remember(b.cookie(SESSION_COOKIE));
  await b.get('/login/code');
  remember(b.csrf);
  const wrong = codeNow(secret, t.clock) === '987654' ? '987653' : '987654';
  remember(wrong);
  await b.post('/login/code', { code: wrong });
  const right = codeNow(secret, t.clock);
  remember(right);
  await b.post('/login/code', { code: right });
  remember(b.cookie(SESSION_COOKIE));
  await b.get('/security?done=x&token=query-string-value');
  remember('query-string-value');
  remember(b.csrf);
  await b.post('/security/password', { currentPassword: PASSWORD, newPassword });
  remember(b.cookie(SESSION_COOKIE));
  await logOut(b);

  const lines = t.logs;
  assert.ok(lines.length > 20, `expected a log, got ${lines.length} lines`);
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `not one JSON object: ${line}`);
    for (const value of seen) {
      const probe = value.length > 16 ? value.slice(0, 16) : value;
      assert.ok(
        !line.includes(probe),
        `a log line contains a secret value (${value.length} chars): ${line.slice(0, 60)}…`,
      );
    }
  }
});

test('one request line per request, with the route pattern', async () => {
  const before = t.logs.length;
  const b = browserFor(t);
  await b.get('/login?email=someone%40example.com');
  await b.get('/static/app.css');
  await b.get('/healthz');
  const requests = t.logs
    .slice(before)
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.event === 'request');
  assert.deepEqual(
    requests.map((entry) => `${entry.method} ${entry.route} ${entry.status}`),
    ['GET /login 200', 'GET /static/app.css 200', 'GET /healthz 200'],
  );
});

test('TWOFA_LOG=0 turns the request log off (other events stay)', async () => {
  const quiet = await makeTestApp({ env: { TWOFA_LOG: '0' } });
  try {
    const b = browserFor(quiet);
    await signUp(b, uniqueEmail());
    const events = quiet.logs.map((line) => JSON.parse(line).event);
    assert.ok(!events.includes('request'));
    assert.ok(events.length > 0);
  } finally {
    await quiet.close();
  }
});
