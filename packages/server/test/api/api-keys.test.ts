/**
 * API keys: shown once, stored only as a prefix and a keyed hash, scopes and tenant checked at creation,
 * revocation, the last-used time (written at most once a minute) and the per-key budget (429 with
 * Retry-After, per key, shared by every instance through the database).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_BUDGET_WINDOW_MS, API_KEY_TOUCH_INTERVAL_MS } from '../../src/services/limits.ts';
import { openDatabase } from '../../src/store/open.ts';
import { type ApiTestApp, makeApiTestApp } from '../support/api.ts';
import { DIALECTS, randomMasterKey, rejectsCode } from '../support/dialects.ts';

for (const dialect of DIALECTS) {
  describe(`API keys (${dialect.name})`, () => {
    let t: ApiTestApp;
    before(async () => {
      t = await makeApiTestApp({ dialect });
    });
    after(() => t.close());

    test('a key is twofa_<prefix>_<secret>; the database holds the prefix and a hash, never the secret', async () => {
      const { key, token } = await t.services.apiKeys.create({
        name: 'billing app',
        tenant: 'acme',
        scopes: ['verify', 'enroll'],
      });
      assert.match(token, /^twofa_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(key.scopes, ['enroll', 'verify'], 'canonical order');
      assert.equal(token.split('_')[1], key.prefix);
      const { db } = openDatabase(t.config);
      try {
        const row = await db
          .selectFrom('api_keys')
          .selectAll()
          .where('id', '=', key.id)
          .executeTakeFirstOrThrow();
        const secret = token.slice(`twofa_${key.prefix}_`.length);
        assert.ok(!JSON.stringify(row).includes(secret), 'no secret in the row');
        assert.notEqual(row.secret_hash, secret);
      } finally {
        await db.destroy();
      }
      assert.ok(!t.logs.some((line) => line.includes(token.slice(-20))), 'no secret in the log');
      const listed = await t.services.apiKeys.list();
      assert.ok(!JSON.stringify(listed).includes(token.slice(-20)), 'no secret in the list');
    });

    test('bad names, tenants, scopes and budgets are refused naming the field', async () => {
      const base = { name: 'ok', tenant: 'acme', scopes: ['verify'] };
      assert.equal(
        (await rejectsCode(t.services.apiKeys.create({ ...base, name: '' }), 'INVALID_INPUT')).field,
        'name',
      );
      assert.equal(
        (await rejectsCode(t.services.apiKeys.create({ ...base, tenant: 'a b' }), 'INVALID_INPUT')).field,
        'tenant',
      );
      assert.equal(
        (await rejectsCode(t.services.apiKeys.create({ ...base, scopes: ['admin'] }), 'INVALID_INPUT')).field,
        'scopes',
      );
      assert.equal(
        (await rejectsCode(t.services.apiKeys.create({ ...base, scopes: [] }), 'INVALID_INPUT')).field,
        'scopes',
      );
      assert.equal(
        (await rejectsCode(t.services.apiKeys.create({ ...base, requestsPerMinute: 0 }), 'INVALID_INPUT'))
          .field,
        'requestsPerMinute',
      );
    });

    test('creating and revoking a key are audited', async () => {
      const { key } = await t.services.apiKeys.create({
        name: 'audited',
        tenant: 'acme',
        scopes: ['verify'],
      });
      await t.services.apiKeys.revoke(key.prefix);
      const { db } = openDatabase(t.config);
      try {
        const rows = await db.selectFrom('audit_events').select(['type', 'details']).orderBy('seq').execute();
        const mine = rows.filter((r) => r.details.includes(key.id)).map((r) => r.type);
        assert.deepEqual(mine, ['api_key.created', 'api_key.revoked']);
      } finally {
        await db.destroy();
      }
    });

    test('the last-used time is written at most once a minute', async () => {
      const token = await t.makeKey();
      const prefix = token.split('_')[1]!;
      const lastUsed = async () =>
        (await t.services.apiKeys.list()).find((k) => k.prefix === prefix)!.lastUsedAtMs;
      assert.equal(await lastUsed(), null);
      const first = t.clock.now();
      await t.call('GET', '/api/v1/subjects/x/factors', { key: token });
      assert.equal(await lastUsed(), first);
      t.clock.advance(API_KEY_TOUCH_INTERVAL_MS - 1000);
      await t.call('GET', '/api/v1/subjects/x/factors', { key: token });
      assert.equal(await lastUsed(), first, 'not rewritten within the minute');
      t.clock.advance(1000);
      await t.call('GET', '/api/v1/subjects/x/factors', { key: token });
      assert.equal(await lastUsed(), t.clock.now());
    });

    test('the budget: past it, 429 with Retry-After until the minute ends; other keys are not affected', async () => {
      const token = await t.makeKey({ requestsPerMinute: 3 });
      const other = await t.makeKey({ requestsPerMinute: 3 });
      for (let i = 0; i < 3; i++) {
        assert.equal((await t.call('GET', '/api/v1/subjects/x/factors', { key: token })).status, 404);
      }
      t.clock.advance(20_000);
      const refused = await t.call('GET', '/api/v1/subjects/x/factors', { key: token });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'API_RATE_LIMITED');
      assert.equal(refused.headers.get('retry-after'), String((API_BUDGET_WINDOW_MS - 20_000) / 1000));
      assert.equal((await t.call('GET', '/api/v1/subjects/x/factors', { key: other })).status, 404);
      t.clock.advance(API_BUDGET_WINDOW_MS - 20_000);
      assert.equal((await t.call('GET', '/api/v1/subjects/x/factors', { key: token })).status, 404);
    });

    test('racing requests cannot pass the budget', async () => {
      const token = await t.makeKey({ requestsPerMinute: 5 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => t.call('GET', '/api/v1/subjects/x/factors', { key: token })),
      );
      assert.equal(results.filter((r) => r.status !== 429).length, 5);
    });
  });
}

test('after a master key rotation, a key moves to the new master key on its first use, then needs only it', async () => {
  const oldKey = randomMasterKey('old');
  const newKey = randomMasterKey('new');
  const first = await makeApiTestApp({ env: { TWOFA_MASTER_KEY: oldKey } });
  const token = first.key;
  await first.close();
  const hashKeyId = async (config: typeof first.config) => {
    const { db } = openDatabase(config);
    try {
      const prefix = token.split('_')[1]!;
      return (
        await db
          .selectFrom('api_keys')
          .select('hash_key_id')
          .where('prefix', '=', prefix)
          .executeTakeFirstOrThrow()
      ).hash_key_id;
    } finally {
      await db.destroy();
    }
  };
  assert.equal(await hashKeyId(first.config), 'old');
  const rotated = await makeApiTestApp({ config: { ...first.config, masterKey: `${newKey},${oldKey}` } });
  assert.equal(
    (await rotated.call('GET', '/api/v1/subjects/x/factors', { key: token })).status,
    404,
    'still valid',
  );
  await rotated.close();
  assert.equal(await hashKeyId(first.config), 'new');
  const retired = await makeApiTestApp({ config: { ...first.config, masterKey: newKey } });
  assert.equal(
    (await retired.call('GET', '/api/v1/subjects/x/factors', { key: token })).status,
    404,
    'valid without the old key',
  );
  await retired.close();
});
