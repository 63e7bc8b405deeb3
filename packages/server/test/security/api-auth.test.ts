/**
 * Threat: someone without a valid API key, with a revoked one, with a key of too little scope, or with
 * another tenant's key, reaching a subject's factors through the JSON API. Also: the API riding on a
 * browser's session (it must take no cookie, set none, and need no CSRF token, since nothing ambient
 * authenticates it), and other origins reading it (no CORS headers).
 *
 * Every operation, each way in: no key 401, a malformed or unknown key 401, a revoked key 401, a key without
 * the operation's scope 403, a key of another tenant 404 (the subject does not exist for it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiScope } from '../../src/services/types.ts';
import { type ApiTestApp, enrollSubject, makeApiTestApp } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';
import { browserFor, signUp, uniqueEmail } from '../support/flows.ts';

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly scope: ApiScope;
  readonly body?: unknown;
}

const SUBJECT = '/api/v1/subjects/owned';
// Starting a set-up comes last: with another tenant's key it makes that tenant's own subject of the same id.
const OPERATIONS: readonly Operation[] = [
  {
    method: 'POST',
    path: `${SUBJECT}/enrollments/some-id/confirm`,
    scope: 'enroll',
    body: { code: '123456' },
  },
  { method: 'POST', path: `${SUBJECT}/verify`, scope: 'verify', body: { code: '123456' } },
  { method: 'GET', path: `${SUBJECT}/factors`, scope: 'manage' },
  { method: 'DELETE', path: `${SUBJECT}/factors/recovery`, scope: 'manage' },
  { method: 'POST', path: `${SUBJECT}/recovery-codes`, scope: 'enroll' },
  { method: 'GET', path: `${SUBJECT}/events`, scope: 'manage' },
  { method: 'POST', path: `${SUBJECT}/enrollments/totp`, scope: 'enroll', body: {} },
];

for (const dialect of DIALECTS) {
  describe(`API authentication (${dialect.name})`, () => {
    let t: ApiTestApp;
    let revoked: string;
    let otherTenant: string;
    before(async () => {
      t = await makeApiTestApp({ dialect });
      await enrollSubject(t, 'owned');
      revoked = await t.makeKey();
      const prefix = revoked.split('_')[1]!;
      assert.ok(await t.services.apiKeys.revoke(prefix));
      otherTenant = await t.makeKey({ tenant: 'globex' });
    });
    after(() => t.close());

    for (const op of OPERATIONS) {
      describe(`${op.method} ${op.path}`, () => {
        const send = (key: string | null, headers: Record<string, string> = {}) =>
          t.call(op.method, op.path, { key, headers, ...(op.body === undefined ? {} : { body: op.body }) });

        test('no key: 401 with WWW-Authenticate, and the same answer for a malformed or unknown key', async () => {
          const none = await send(null);
          assert.equal(none.status, 401);
          assert.equal(none.json.error.code, 'API_KEY_INVALID');
          assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
          const malformed = await send('not-a-key');
          assert.deepEqual(malformed.json, none.json);
          const unknown = await send(t.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
          assert.equal(unknown.status, 401);
          assert.deepEqual(unknown.json, none.json);
        });

        test('a revoked key: 401', async () => {
          const res = await send(revoked);
          assert.equal(res.status, 401);
          assert.equal(res.json.error.code, 'API_KEY_INVALID');
        });

        test(`a key without '${op.scope}': 403, before the body is read`, async () => {
          const scopes = (['enroll', 'verify', 'manage'] as const).filter((s) => s !== op.scope);
          const res = await t.call(op.method, op.path, {
            key: await t.makeKey({ scopes }),
            ...(op.body === undefined ? {} : { body: 'not json', raw: true }),
          });
          assert.equal(res.status, 403);
          assert.equal(res.json.error.code, 'API_KEY_SCOPE');
        });

        test("another tenant's key: the subject does not exist (404), and nothing is made", async () => {
          const res = await send(otherTenant);
          assert.equal(res.status, op.path.endsWith('/enrollments/totp') ? 201 : 404);
          if (res.status === 404) assert.equal(res.json.error.code, 'SUBJECT_NOT_FOUND');
        });

        test('no cookie is set, and a session cookie is not a key', async () => {
          const b = browserFor(t);
          await signUp(b, uniqueEmail());
          const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
          const res = await send(null, { Cookie: cookie });
          assert.equal(res.status, 401);
          assert.equal(res.headers.get('set-cookie'), null);
          assert.equal((await send(t.key)).headers.get('set-cookie'), null);
        });
      });
    }

    test("another tenant's enrollment of the same id is its own subject: the owner's factors are untouched", async () => {
      const factors = await t.call('GET', `${SUBJECT}/factors`);
      assert.deepEqual(
        factors.json.factors.map((f: { kind: string }) => f.kind),
        ['totp', 'recovery'],
      );
      const theirs = await t.call('GET', `${SUBJECT}/factors`, { key: otherTenant });
      assert.deepEqual(theirs.json, { factors: [] });
    });

    test('no CSRF token or Origin is needed, and no CORS header is given (a preflight finds nothing)', async () => {
      const res = await t.call('POST', `${SUBJECT}/verify`, {
        body: { code: '000000' },
        headers: { Origin: 'https://evil.example' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      const preflight = await t.app.request(`${SUBJECT}/verify`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      assert.equal(preflight.headers.get('set-cookie'), null);
      assert.notEqual(preflight.status, 200);
    });

    test('an unknown API path: a JSON 404, not the HTML page, and no cookie', async () => {
      const res = await t.call('GET', '/api/v2/nothing', { key: null });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'NOT_FOUND');
      assert.equal(res.headers.get('set-cookie'), null);
    });

    test('a revoked key is refused from the next request on; revoking twice finds nothing', async () => {
      const key = await t.makeKey();
      assert.equal((await t.call('GET', `${SUBJECT}/factors`, { key })).status, 200);
      const listed = (await t.services.apiKeys.list()).find((k) => key.includes(k.prefix))!;
      assert.ok(await t.services.apiKeys.revoke(listed.id));
      assert.equal(await t.services.apiKeys.revoke(listed.id), null);
      assert.equal((await t.call('GET', `${SUBJECT}/factors`, { key })).status, 401);
    });
  });
}
