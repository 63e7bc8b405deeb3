/**
 * twofa admin api-key create, list and revoke, on SQLite and (with TWOFA_TEST_PG_URL) PostgreSQL. Threats:
 * a key printed again later (only create shows it; list and --json never do), a revocation by a script by
 * mistake (refused without --yes off a terminal), a key that still works after it was revoked.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createApp } from '../../../server/src/app.ts';
import { DIALECTS } from '../../../server/test/support/dialects.ts';
import { type AdminDatabase, admin, adminDatabase } from '../support/admin.ts';
import { assertUsageError } from '../support/cli.ts';

const opened: AdminDatabase[] = [];
after(() => Promise.all(opened.map((db) => db.services.close())));

/** GET a subject's factors with `key` through the service's own app: 401 for a bad key, 404 for a good one. */
async function statusWith(db: AdminDatabase, key: string): Promise<number> {
  const app = createApp({ config: db.config, services: db.services, log: () => {} });
  const res = await app.request('/api/v1/subjects/nobody/factors', {
    headers: { Authorization: `Bearer ${key}` },
  });
  return res.status;
}

for (const dialect of DIALECTS) {
  describe(`twofa admin api-key (${dialect.name})`, () => {
    test('create prints the key once; the service accepts it; list shows it without the secret', async () => {
      const db = await adminDatabase(dialect);
      opened.push(db);
      const created = await admin(
        [
          'api-key',
          'create',
          '--name',
          'billing app',
          '--scopes',
          'verify,manage',
          '--tenant',
          'shop',
          '--json',
        ],
        db.env,
      );
      assert.equal(created.status, 0, created.stderr);
      const json = JSON.parse(created.stdout);
      assert.match(json.token, /^twofa_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(json.scopes, ['verify', 'manage']);
      assert.equal(json.tenant, 'shop');
      assert.equal(await statusWith(db, json.token), 404);

      const listed = await admin(['api-key', 'list'], db.env);
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(
        listed.stdout,
        new RegExp(`^${json.prefix}  "billing app"  tenant=shop  scopes=verify,manage`, 'm'),
      );
      assert.ok(!listed.stdout.includes(json.token.slice(-20)), 'no secret in the list');
      const listedJson = await admin(['api-key', 'list', '--json'], db.env);
      assert.ok(!listedJson.stdout.includes(json.token.slice(-20)), 'no secret in the JSON list');
      assert.equal(JSON.parse(listedJson.stdout).keys[0].lastUsedAt !== null, true, 'used once above');

      const text = await admin(['api-key', 'create', '--name', 'other', '--scopes', 'enroll'], db.env);
      assert.equal(text.status, 0, text.stderr);
      assert.match(
        text.stdout,
        /^twofa_[a-z2-7]{12}_\S{43}\n\nThe API key for "other" \(tenant default, scopes enroll\)/,
      );
    });

    test('revoke: refused without --yes off a terminal, "no" changes nothing, then the key stops working', async () => {
      const db = await adminDatabase(dialect);
      opened.push(db);
      const { token, prefix } = JSON.parse(
        (await admin(['api-key', 'create', '--name', 'x', '--scopes', 'manage', '--json'], db.env)).stdout,
      );
      assertUsageError(await admin(['api-key', 'revoke', prefix], db.env), [], /--yes/);
      const no = await admin(['api-key', 'revoke', prefix], db.env, { answer: false });
      assert.equal(no.status, 1);
      assert.equal(await statusWith(db, token), 404, 'still valid');
      const yes = await admin(['api-key', 'revoke', prefix], db.env, { answer: true });
      assert.equal(yes.status, 0, yes.stderr);
      assert.match(yes.questions[0]!, new RegExp(`Revoke the API key ${prefix} \\("x", tenant default\\)`));
      assert.equal(await statusWith(db, token), 401);
      const again = await admin(['api-key', 'revoke', prefix, '--yes'], db.env);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /no unrevoked API key/);
      const audit = await admin(['audit', '--json'], db.env);
      const types = JSON.parse(audit.stdout).events.map((e: { type: string }) => e.type);
      assert.ok(types.includes('api_key.created') && types.includes('api_key.revoked'), types.join(','));
    });

    test('bad usage: exit 2 with one line', async () => {
      const db = await adminDatabase(dialect);
      opened.push(db);
      assertUsageError(await admin(['api-key', 'create', '--scopes', 'verify'], db.env), [], /--name/);
      assertUsageError(await admin(['api-key', 'create', '--name', 'x'], db.env), [], /--scopes/);
      assertUsageError(
        await admin(['api-key', 'create', '--name', 'x', '--scopes', 'admin'], db.env),
        [],
        /enroll, verify, manage/,
      );
      assertUsageError(
        await admin(
          ['api-key', 'create', '--name', 'x', '--scopes', 'verify', '--requests-per-minute', '0'],
          db.env,
        ),
        [],
        /--requests-per-minute/,
      );
      const badName = await admin(['api-key', 'create', '--name', 'a,b', '--scopes', 'verify'], db.env);
      assert.equal(badName.status, 1);
      assert.match(badName.stderr, /\(name; INVALID_INPUT\)/);
      // The name was filled in: the operator is told what is wrong with it, not to fill it in.
      assert.doesNotMatch(badName.stderr, /fill in/i);
      assert.match(badName.stderr, /name is missing or not in the form it takes \(see --help\)/);
    });
  });
}
