/**
 * Threat: replay through the API. A code the calling app forwards twice (a retry, a double submit, an
 * attacker racing the user with a code seen over a shoulder) must be valid once (RFC 6238 s5.2). The API
 * goes through the same compare-and-set on the credential's last used step as the pages, and recovery
 * codes through the same conditional UPDATE: of requests racing with one code, on one instance or two
 * sharing a database, exactly one is valid.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import { type ApiTestApp, enrollSubject, makeApiTestApp } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';

/** An app for one test, closed when the test ends (each holds a pool of database connections). */
async function app(context: TestContext, options: Parameters<typeof makeApiTestApp>[0]): Promise<ApiTestApp> {
  const t = await makeApiTestApp(options);
  context.after(() => t.close());
  return t;
}

const RACERS = 5;

for (const dialect of DIALECTS) {
  describe(`API replay (${dialect.name})`, () => {
    test(`${RACERS} verifications of one TOTP code at once: exactly one valid`, async (context) => {
      const t = await app(context, { dialect });
      const { secret } = await enrollSubject(t, 'racer');
      const code = generateTOTP({ secret, nowMs: t.clock.now() });
      const results = await Promise.all(
        Array.from({ length: RACERS }, () =>
          t.call('POST', '/api/v1/subjects/racer/verify', { body: { code } }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array(RACERS).fill(200),
      );
      assert.equal(results.filter((r) => r.json.valid === true).length, 1);
      // And later, alone: still refused (the step is used), while the next step's code works.
      const again = await t.call('POST', '/api/v1/subjects/racer/verify', { body: { code } });
      assert.equal(again.json.valid, false);
      t.clock.advance(30_000);
      const next = await t.call('POST', '/api/v1/subjects/racer/verify', {
        body: { code: generateTOTP({ secret, nowMs: t.clock.now() }) },
      });
      assert.equal(next.json.valid, true);
    });

    test(`${RACERS} verifications of one recovery code at once: exactly one valid, one code used`, async (context) => {
      const t = await app(context, { dialect });
      const { recoveryCodes } = await enrollSubject(t, 'racer');
      const code = recoveryCodes[3]!;
      const results = await Promise.all(
        Array.from({ length: RACERS }, () =>
          t.call('POST', '/api/v1/subjects/racer/verify', { body: { code } }),
        ),
      );
      const valid = results.filter((r) => r.json.valid === true);
      assert.equal(valid.length, 1);
      assert.equal(valid[0]!.json.remainingRecoveryCodes, 9);
    });

    test('an earlier code after a later one was accepted: refused (the step only moves forward)', async (context) => {
      const t = await app(context, { dialect });
      const { secret } = await enrollSubject(t, 'racer');
      const earlier = generateTOTP({ secret, nowMs: t.clock.now() - 30_000 });
      const now = generateTOTP({ secret, nowMs: t.clock.now() });
      assert.equal(
        (await t.call('POST', '/api/v1/subjects/racer/verify', { body: { code: now } })).json.valid,
        true,
      );
      assert.equal(
        (await t.call('POST', '/api/v1/subjects/racer/verify', { body: { code: earlier } })).json.valid,
        false,
      );
    });

    if (dialect.name === 'postgres') {
      test('two instances on one database, one code: exactly one valid', async (context) => {
        const a = await app(context, { dialect });
        const b = await app(context, { config: a.config, clock: a.clock });
        const { secret } = await enrollSubject(a, 'shared');
        const code = generateTOTP({ secret, nowMs: a.clock.now() });
        const results = await Promise.all(
          [a, b, a, b].map((t) =>
            t.call('POST', '/api/v1/subjects/shared/verify', { key: a.key, body: { code } }),
          ),
        );
        assert.equal(results.filter((r) => r.json.valid === true).length, 1);
      });
    }
  });
}
