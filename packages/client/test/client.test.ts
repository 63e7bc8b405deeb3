/**
 * The client against a real service in-process (its fetch is the app's request handler): every method,
 * errors as TwofaApiError with code, status and Retry-After, and the generated types kept up to date.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateTOTP, parseKeyURI } from '@twofa/otp';
import { type ApiTestApp, makeApiTestApp } from '../../server/test/support/api.ts';
import { apiTypesSource } from '../scripts/api-types-source.ts';
import { createTwofaClient, TwofaApiError, type TwofaClient } from '../src/index.ts';

let t: ApiTestApp;
let client: TwofaClient;
before(async () => {
  t = await makeApiTestApp();
  client = createTwofaClient({
    baseUrl: 'http://twofa.test',
    apiKey: t.key,
    fetch: (input, init) => Promise.resolve(t.app.request(String(input), init)),
  });
});
after(() => t.close());

test('src/api-types.ts is what the generator writes from the current OpenAPI document', async () => {
  const committed = readFileSync(join(import.meta.dirname, '..', 'src', 'api-types.ts'), 'utf8');
  assert.equal(committed, await apiTypesSource(), 'run `npm run generate -w packages/client`');
});

test('set-up, confirmation, verification, factors, recovery codes, events, removal', async () => {
  const enrollment = await client.startEnrollment(
    'alice@example.com',
    { accountName: 'alice@example.com' },
    { idempotencyKey: 'a' },
  );
  assert.equal(
    (
      await client.startEnrollment(
        'alice@example.com',
        { accountName: 'alice@example.com' },
        { idempotencyKey: 'a' },
      )
    ).enrollmentId,
    enrollment.enrollmentId,
  );
  const { secret } = parseKeyURI(enrollment.otpauthUri);
  const confirmed = await client.confirmEnrollment(
    'alice@example.com',
    enrollment.enrollmentId,
    generateTOTP({ secret, nowMs: t.clock.now() }),
  );
  assert.equal(confirmed.recoveryCodes?.length, 10);
  t.clock.advance(30_000);
  const code = generateTOTP({ secret, nowMs: t.clock.now() });
  assert.deepEqual(await client.verify('alice@example.com', code), {
    valid: true,
    factor: 'totp',
    remainingRecoveryCodes: 10,
  });
  assert.equal((await client.verify('alice@example.com', code)).valid, false);
  assert.deepEqual(
    (await client.listFactors('alice@example.com')).map((f) => f.kind),
    ['totp', 'recovery'],
  );
  assert.equal((await client.generateRecoveryCodes('alice@example.com')).length, 10);
  assert.equal((await client.listEvents('alice@example.com', { limit: 1 })).length, 1);
  await client.removeFactor('alice@example.com', 'totp');
  assert.deepEqual(await client.listFactors('alice@example.com'), []);
});

test('refusals are TwofaApiError with the code, the status and the wait', async () => {
  await assert.rejects(client.verify('nobody', '123456'), (error: unknown) => {
    assert.ok(error instanceof TwofaApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'SUBJECT_NOT_FOUND');
    return true;
  });
  const limited = createTwofaClient({
    baseUrl: 'http://twofa.test',
    apiKey: await t.makeKey({ requestsPerMinute: 1 }),
    fetch: (input, init) => Promise.resolve(t.app.request(String(input), init)),
  });
  await assert.rejects(limited.listFactors('nobody'), { code: 'SUBJECT_NOT_FOUND' });
  await assert.rejects(limited.listFactors('nobody'), (error: unknown) => {
    assert.ok(error instanceof TwofaApiError);
    assert.equal(error.code, 'API_RATE_LIMITED');
    assert.equal(error.retryAfterSeconds, 60);
    return true;
  });
  const wrongKey = createTwofaClient({
    baseUrl: 'http://twofa.test',
    apiKey: 'twofa_nope',
    fetch: (input, init) => Promise.resolve(t.app.request(String(input), init)),
  });
  await assert.rejects(wrongKey.listFactors('x'), { status: 401, code: 'API_KEY_INVALID' });
});
