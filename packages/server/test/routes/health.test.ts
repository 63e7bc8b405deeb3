import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import type { Services } from '../../src/services/types.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('200 with the database kind when the database answers', async () => {
  const res = await t.app.request('/healthz');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { status: 'ok', database: { kind: 'sqlite', ok: true } });
  assert.equal(res.headers.get('cache-control'), 'no-store');
});

test('no session cookie is read or set by the health check', async () => {
  const res = await t.app.request('/healthz', { headers: { Cookie: 'twofa_session=whatever' } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.headers.getSetCookie(), []);
});

test('503 when the database does not answer; the reason goes to the log only', async () => {
  const logs: string[] = [];
  const broken: Services = {
    ...t.services,
    health: {
      check: async () => ({ ok: false, database: 'postgres', error: 'connect ECONNREFUSED 127.0.0.1:5432' }),
    },
  };
  const app = createApp({ config: t.config, services: broken, log: (line) => logs.push(line) });
  const res = await app.request('/healthz');
  assert.equal(res.status, 503);
  const body = await res.text();
  assert.deepEqual(JSON.parse(body), { status: 'unavailable', database: { kind: 'postgres', ok: false } });
  assert.ok(!body.includes('ECONNREFUSED'));
  const failed = logs.map((line) => JSON.parse(line)).find((entry) => entry.event === 'health_failed');
  assert.ok(failed);
  assert.match(failed.error, /ECONNREFUSED/);
});

test('503 when the health check itself throws', async () => {
  const broken: Services = {
    ...t.services,
    health: {
      check: async () => {
        throw new Error('pool closed');
      },
    },
  };
  const app = createApp({ config: t.config, services: broken, log: () => {} });
  const res = await app.request('/healthz');
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'unavailable', database: { kind: 'sqlite', ok: false } });
});
