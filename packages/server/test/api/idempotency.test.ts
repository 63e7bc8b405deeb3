/**
 * Idempotency-Key on starting a set-up: a retried request (a timeout, a double click in the calling app)
 * gets the same set-up, not a second secret that would make the first QR code useless. The same key with
 * another request is refused (422); a key whose set-up was confirmed is closed (409); two requests with
 * one key at once make one set-up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PENDING_ENROLLMENT_MS } from '../../src/services/limits.ts';
import { type ApiTestApp, makeApiTestApp } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`Idempotency-Key (${dialect.name})`, () => {
    let t: ApiTestApp;
    before(async () => {
      t = await makeApiTestApp({ dialect });
    });
    after(() => t.close());

    const start = (subject: string, key: string | undefined, body: object = {}, apiKey?: string) =>
      t.call('POST', `/api/v1/subjects/${subject}/enrollments/totp`, {
        body,
        headers: key === undefined ? {} : { 'Idempotency-Key': key },
        ...(apiKey === undefined ? {} : { key: apiKey }),
      });

    test('the same key and request: the same set-up, marked as replayed', async () => {
      const first = await start('i-1', 'k-1', { accountName: 'alice' });
      const second = await start('i-1', 'k-1', { accountName: 'alice' });
      assert.equal(second.status, 201);
      assert.equal(second.json.enrollmentId, first.json.enrollmentId);
      assert.equal(second.json.otpauthUri, first.json.otpauthUri);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
    });

    test('without a key, each request starts over with a new secret', async () => {
      const first = await start('i-2', undefined);
      const second = await start('i-2', undefined);
      assert.notEqual(second.json.otpauthUri, first.json.otpauthUri);
    });

    test('the same key with another request: 422, and the set-up is untouched', async () => {
      const first = await start('i-3', 'k-3', { accountName: 'alice' });
      const other = await start('i-3', 'k-3', { accountName: 'mallory' });
      assert.equal(other.status, 422);
      assert.equal(other.json.error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(
        (await start('i-3', 'k-3', { accountName: 'alice' })).json.otpauthUri,
        first.json.otpauthUri,
      );
    });

    test('keys are per API key: another key with the same Idempotency-Key starts its own', async () => {
      const first = await start('i-4', 'k-4');
      const other = await start('i-4', 'k-4', {}, await t.makeKey());
      assert.equal(other.status, 201);
      assert.notEqual(other.json.enrollmentId, first.json.enrollmentId);
    });

    test('after the set-up expired, the key starts a new one', async () => {
      const first = await start('i-5', 'k-5');
      t.clock.advance(PENDING_ENROLLMENT_MS);
      const later = await start('i-5', 'k-5');
      assert.equal(later.status, 201);
      assert.notEqual(later.json.enrollmentId, first.json.enrollmentId);
    });

    test('two requests with one key at once: one set-up, both answers the same', async () => {
      const results = await Promise.all([start('i-6', 'k-6'), start('i-6', 'k-6'), start('i-6', 'k-6')]);
      assert.deepEqual(
        results.map((r) => r.status),
        [201, 201, 201],
      );
      assert.equal(new Set(results.map((r) => r.json.enrollmentId)).size, 1);
    });

    test('a malformed key is refused naming the header', async () => {
      const res = await start('i-7', 'with space');
      assert.equal(res.status, 422);
      assert.match(res.json.error.message, /idempotency-key/);
    });
  });
}
