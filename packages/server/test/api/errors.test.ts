/**
 * The API's error edge: a fault inside a service is a JSON 500 with the request id and no internals (the
 * log has the error, not the request); an error that is not the service's own is never mistaken for one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import type { Services } from '../../src/services/types.ts';
import { type ApiTestApp, makeApiTestApp } from '../support/api.ts';

let t: ApiTestApp;
before(async () => {
  t = await makeApiTestApp();
});
after(() => t.close());

test('a fault: JSON 500 INTERNAL, the request id in the header and the log, nothing internal in the body', async () => {
  const logs: string[] = [];
  const faulty: Services = {
    ...t.services,
    subjects: {
      ...t.services.subjects,
      verify: async () => {
        throw new Error('database went away at 10.0.0.7');
      },
    },
  };
  const app = createApp({ config: t.config, services: faulty, log: (line) => logs.push(line) });
  const res = await app.request('/api/v1/subjects/s/verify', {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: '123456' }),
  });
  assert.equal(res.status, 500);
  const body = await res.text();
  assert.deepEqual(JSON.parse(body), {
    error: { code: 'INTERNAL', message: 'The server could not finish this request. Try again.' },
  });
  assert.ok(!body.includes('10.0.0.7'));
  const requestId = res.headers.get('x-request-id');
  const entry = logs.map((line) => JSON.parse(line)).find((e) => e.event === 'error');
  assert.equal(entry?.requestId, requestId);
  assert.equal(entry?.message, 'database went away at 10.0.0.7');
  assert.ok(!logs.some((line) => line.includes('123456')), 'the code is not logged');
});

test('a body over 16 KiB: 413 in JSON, before any parsing', async () => {
  const res = await t.app.request('/api/v1/subjects/s/verify', {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: 'x'.repeat(20_000) }),
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, 'INVALID_REQUEST');
});
