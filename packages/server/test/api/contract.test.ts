/**
 * Contract: every response of the API matches the OpenAPI document it serves (test/support/openapi.ts checks
 * each call). This suite walks every operation through its success and its usual refusals, on every
 * dialect, and then checks that it reached every operation's success status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import { type ApiTestApp, enrollSubject, makeApiTestApp, secretOfUri } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`API contract (${dialect.name})`, () => {
    let t: ApiTestApp;
    /** What must never be logged: TOTP secrets, recovery codes, the API key's secret part. */
    const secrets: string[] = [];
    before(async () => {
      t = await makeApiTestApp({ dialect });
      secrets.push(t.key.slice('twofa_'.length + 13));
    });
    after(() => t.close());

    test('the document is OpenAPI 3.1 with a bearer scheme, and lists every operation', async () => {
      const res = await t.call('GET', '/api/openapi.json', { key: null });
      assert.equal(res.status, 200);
      assert.equal(res.json.openapi, '3.1.0');
      assert.equal(res.json.components.securitySchemes.apiKey.scheme, 'bearer');
      const operations = Object.entries(res.json.paths).flatMap(([path, methods]) =>
        Object.keys(methods as object).map((m) => `${m.toUpperCase()} ${path}`),
      );
      assert.equal(operations.length, 7, operations.join('\n'));
    });

    test('the reference page lists every operation from the document, with no script and nothing remote', async () => {
      const doc = (await t.call('GET', '/api/openapi.json', { key: null })).json;
      const page = await t.app.request('/api/docs');
      assert.equal(page.status, 200);
      const html = await page.text();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const method of Object.keys(methods as object)) {
          assert.ok(html.includes(`${method.toUpperCase()} ${path}`), `${method} ${path} on the page`);
        }
      }
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no remote asset');
    });

    test('enrollment: start (201), replay, confirm (200 with codes), start again (409)', async () => {
      const started = await t.call('POST', '/api/v1/subjects/c-1/enrollments/totp', {
        body: { accountName: 'alice@example.com', issuer: 'Example' },
        headers: { 'Idempotency-Key': 'contract-1' },
      });
      assert.equal(started.status, 201);
      assert.equal(started.headers.get('cache-control'), 'no-store', 'a secret is never cached');
      assert.match(started.json.otpauthUri, /^otpauth:\/\/totp\/Example:alice%40example\.com\?secret=/);
      assert.match(started.json.qrSvg, /^<svg /);
      assert.match(started.json.qrPngDataUrl, /^data:image\/png;base64,iVBORw0KGgo/);
      const secret = secretOfUri(started.json.otpauthUri);
      secrets.push(new URL(started.json.otpauthUri).searchParams.get('secret')!);
      const wrong = await t.call(
        'POST',
        `/api/v1/subjects/c-1/enrollments/${started.json.enrollmentId}/confirm`,
        {
          body: { code: generateTOTP({ secret, nowMs: t.clock.now() + 10 * 60_000 }) },
        },
      );
      // A wrong code is not a bad API key: 422, without the WWW-Authenticate a 401 carries.
      assert.equal(wrong.status, 422);
      assert.equal(wrong.headers.get('www-authenticate'), null);
      assert.equal(wrong.json.error.code, 'INVALID_SETUP_CODE');
      const malformed = await t.call(
        'POST',
        `/api/v1/subjects/c-1/enrollments/${started.json.enrollmentId}/confirm`,
        {
          body: { code: '12' },
        },
      );
      assert.equal(malformed.status, 400);
      const confirmed = await t.call(
        'POST',
        `/api/v1/subjects/c-1/enrollments/${started.json.enrollmentId}/confirm`,
        {
          body: { code: generateTOTP({ secret, nowMs: t.clock.now() }) },
        },
      );
      assert.equal(confirmed.status, 200);
      assert.equal(confirmed.json.recoveryCodes.length, 10);
      secrets.push(...confirmed.json.recoveryCodes);
      const again = await t.call('POST', '/api/v1/subjects/c-1/enrollments/totp', { body: {} });
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'TOTP_ALREADY_ENABLED');
      const closed = await t.call('POST', '/api/v1/subjects/c-1/enrollments/totp', {
        body: { accountName: 'alice@example.com', issuer: 'Example' },
        headers: { 'Idempotency-Key': 'contract-1' },
      });
      assert.equal(closed.status, 409);
      assert.equal(closed.json.error.code, 'ENROLLMENT_CLOSED');
      const gone = await t.call('POST', '/api/v1/subjects/c-1/enrollments/no-such-id/confirm', {
        body: { code: '123456' },
      });
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.code, 'ENROLLMENT_NOT_FOUND');
    });

    test('verify: valid, wrong (valid false), malformed (400), unknown subject (404), no factor (409)', async () => {
      const { secret, recoveryCodes } = await enrollSubject(t, 'c-2');
      const ok = await t.call('POST', '/api/v1/subjects/c-2/verify', {
        body: { code: generateTOTP({ secret, nowMs: t.clock.now() }) },
      });
      assert.deepEqual(ok.json, { valid: true, factor: 'totp', remainingRecoveryCodes: 10 });
      const replay = await t.call('POST', '/api/v1/subjects/c-2/verify', {
        body: { code: generateTOTP({ secret, nowMs: t.clock.now() }) },
      });
      assert.equal(replay.status, 200);
      assert.equal(replay.json.valid, false);
      // A replay is no guess: nothing is counted, so no attempts-left figure comes with it.
      assert.equal(replay.json.attemptsLeft, undefined);
      const recovery = await t.call('POST', '/api/v1/subjects/c-2/verify', {
        body: { code: recoveryCodes[0]!.toUpperCase(), factor: 'recovery' },
      });
      assert.deepEqual(recovery.json, { valid: true, factor: 'recovery', remainingRecoveryCodes: 9 });
      const malformed = await t.call('POST', '/api/v1/subjects/c-2/verify', { body: { code: 'abc' } });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.json.error.code, 'MALFORMED_CODE');
      const unknown = await t.call('POST', '/api/v1/subjects/nobody/verify', { body: { code: '123456' } });
      assert.equal(unknown.status, 404);
      await t.call('POST', '/api/v1/subjects/c-3/enrollments/totp', { body: {} });
      const none = await t.call('POST', '/api/v1/subjects/c-3/verify', { body: { code: '123456' } });
      assert.equal(none.status, 409);
      assert.equal(none.json.error.code, 'NO_SECOND_FACTOR');
    });

    test('factors: list, new recovery codes (201), remove (204), remove again (409), events', async () => {
      await enrollSubject(t, 'c-4');
      const listed = await t.call('GET', '/api/v1/subjects/c-4/factors');
      assert.deepEqual(
        listed.json.factors.map((f: { kind: string }) => f.kind),
        ['totp', 'recovery'],
      );
      const codes = await t.call('POST', '/api/v1/subjects/c-4/recovery-codes');
      assert.equal(codes.status, 201);
      assert.equal(codes.json.recoveryCodes.length, 10);
      assert.equal((await t.call('DELETE', '/api/v1/subjects/c-4/factors/recovery')).status, 204);
      const again = await t.call('DELETE', '/api/v1/subjects/c-4/factors/recovery');
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'FACTOR_NOT_ENROLLED');
      assert.equal((await t.call('DELETE', '/api/v1/subjects/c-4/factors/totp')).status, 204);
      assert.deepEqual((await t.call('GET', '/api/v1/subjects/c-4/factors')).json, { factors: [] });
      const noPrimary = await t.call('POST', '/api/v1/subjects/c-4/recovery-codes');
      assert.equal(noPrimary.status, 409);
      const events = await t.call('GET', '/api/v1/subjects/c-4/events?limit=50');
      assert.equal(events.status, 200);
      assert.deepEqual(events.json.events.map((e: { type: string }) => e.type).reverse(), [
        'second_factor.enabled',
        'recovery_codes.generated',
        'recovery_codes.generated',
        'second_factor.disabled',
        'second_factor.disabled',
      ]);
      const badLimit = await t.call('GET', '/api/v1/subjects/c-4/events?limit=0');
      assert.equal(badLimit.status, 422);
      assert.equal((await t.call('GET', '/api/v1/subjects/nobody/events')).status, 404);
    });

    test('no secret, code or key reached the log (and the log did record the requests)', () => {
      assert.ok(t.logs.some((line) => line.includes('"route":"/api/v1/subjects/:subject/verify"')));
      for (const secret of secrets) {
        assert.ok(!t.logs.some((line) => line.includes(secret)), 'a secret was logged');
      }
    });

    test('every operation reached its success status', () => {
      for (const expected of [
        'POST /api/v1/subjects/{subject}/enrollments/totp 201',
        'POST /api/v1/subjects/{subject}/enrollments/{enrollmentId}/confirm 200',
        'POST /api/v1/subjects/{subject}/verify 200',
        'GET /api/v1/subjects/{subject}/factors 200',
        'DELETE /api/v1/subjects/{subject}/factors/{factor} 204',
        'POST /api/v1/subjects/{subject}/recovery-codes 201',
        'GET /api/v1/subjects/{subject}/events 200',
      ]) {
        assert.ok(t.contract.seen.has(expected), `not reached: ${expected}`);
      }
    });
  });
}
