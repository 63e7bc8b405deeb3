// Threat: replay. A code seen over a shoulder, in a phishing proxy or in a log must not work a second time
// (RFC 6238 s5.2: the verifier MUST NOT accept the second attempt of the same OTP after a successful
// validation). The last accepted step is stored per credential and advanced with a compare-and-set in the
// database, so two requests racing with one code, even on two instances sharing one database, cannot both
// pass. Runs on SQLite and, when TWOFA_TEST_PG_URL is set, PostgreSQL.
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeClock, makeTestApp, type TestApp, type TestAppOptions } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import {
  accountWithTOTP,
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

/** An app for one test, closed when the test ends: each holds its pool's connections open until then. */
async function app(context: TestContext, options: TestAppOptions): Promise<TestApp> {
  const t = await makeTestApp(options);
  context.after(() => t.close());
  return t;
}

async function atCodeStep(t: TestApp, email: string) {
  const b = browserFor(t);
  const res = await logIn(b, email);
  assert.equal(res.location, '/login/code');
  await b.get('/login/code');
  return b;
}

for (const dialect of DIALECTS) {
  describe(dialect.name, () => {
    test('the same code twice at the code step: the second is refused', async (context) => {
      const t = await app(context, { dialect });
      const { email, secret } = await accountWithTOTP(t);
      const code = codeNow(secret, t.clock);
      const first = await atCodeStep(t, email);
      assert.equal((await first.post('/login/code', { code })).location, '/');
      await logOut(first);
      const second = await atCodeStep(t, email);
      const again = await second.post('/login/code', { code });
      assert.equal(again.status, 401);
      assert.match(again.body, /already used/);
      assert.equal((await second.get('/security')).location, '/login', 'still not signed in');
    });

    test('the code that confirmed set-up cannot be used to log in', async (context) => {
      const t = await app(context, { dialect });
      const b = browserFor(t);
      const email = uniqueEmail();
      await signUp(b, email);
      const secret = await enableTOTP(b, t.clock);
      await logOut(b);
      const login = await atCodeStep(t, email);
      assert.equal((await login.post('/login/code', { code: codeNow(secret, t.clock) })).status, 401);
    });

    test('after a code is accepted, an older code inside the window is refused too', async (context) => {
      const t = await app(context, { dialect });
      const { email, secret } = await accountWithTOTP(t);
      const first = await atCodeStep(t, email);
      assert.equal((await first.post('/login/code', { code: codeNow(secret, t.clock) })).location, '/');
      const second = await atCodeStep(t, email);
      const previous = codeNow(secret, t.clock, -1); // still inside the +-1 window, but older than the used step
      assert.equal((await second.post('/login/code', { code: previous })).status, 401);
      t.clock.advance(30_000);
      assert.equal(
        (await second.post('/login/code', { code: codeNow(secret, t.clock) })).location,
        '/',
        'the next step works',
      );
    });

    test('two racing posts with one code: exactly one signs in', async (context) => {
      const t = await app(context, { dialect });
      const { email, secret } = await accountWithTOTP(t);
      const code = codeNow(secret, t.clock);
      const browsers = await Promise.all([atCodeStep(t, email), atCodeStep(t, email), atCodeStep(t, email)]);
      const results = await Promise.all(browsers.map((b) => b.post('/login/code', { code })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [303, 401, 401], JSON.stringify(statuses));
      const signedIn = await Promise.all(
        browsers.map(
          async (b) =>
            (await t.services.auth.resolveSession(b.cookie(SESSION_COOKIE) ?? ''))?.state === 'full',
        ),
      );
      assert.equal(signedIn.filter(Boolean).length, 1);
    });

    // Many instances is what PostgreSQL is for. On SQLite, node:sqlite waits for another connection's lock
    // synchronously (busy_timeout), so two instances inside one test process would wait on each other; two
    // processes on one SQLite file do not (the store suite's racing claims cover the compare-and-set there).
    const skip =
      dialect.name === 'sqlite' ? 'SQLite runs one instance; several instances need PostgreSQL' : false;
    test('two app instances on one database: one code signs in once across both', {
      skip,
    }, async (context) => {
      const clock = makeClock();
      const one = await app(context, { dialect, clock });
      const two = await app(context, { config: one.config, clock });
      const { email, secret } = await accountWithTOTP(one);
      const code = codeNow(secret, clock);
      const [a, b] = await Promise.all([atCodeStep(one, email), atCodeStep(two, email)]);
      const results = await Promise.all([a.post('/login/code', { code }), b.post('/login/code', { code })]);
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 401]);
      // And sequentially: a session made on one instance is known to the other (no state in memory).
      const winner = results[0]!.status === 303 ? a : b;
      const other = winner === a ? two : one;
      const seen = await other.app.request('/security', {
        headers: { Cookie: `${SESSION_COOKIE}=${winner.cookie(SESSION_COOKIE)}` },
      });
      assert.equal(seen.status, 200);
    });
  });
}
