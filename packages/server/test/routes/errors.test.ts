import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { SERVICE_ERRORS } from '../../src/routes/errors.ts';
import { ServiceError, type ServiceErrorCode, type Services } from '../../src/services/types.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/client.ts';
import { browserFor, signUp, uniqueEmail } from '../support/flows.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

test('an unknown page: 404 page with the usual headers', async () => {
  const res = await browserFor(t).get('/no/such/page');
  assert.equal(res.status, 404);
  assert.match(res.body, /<h1>Not found<\/h1>/);
  assert.ok(res.headers.get('content-security-policy'));
});

test('a fault: 500 page with the request id; the log has the error, not the request', async () => {
  const logs: string[] = [];
  const faulty: Services = {
    ...t.services,
    accounts: {
      ...t.services.accounts,
      getUser: async () => {
        throw new Error('database went away');
      },
    },
  };
  const app = createApp({ config: t.config, services: faulty, log: (line) => logs.push(line) });
  const b = new Browser(app, new URL(t.config.publicUrl).origin);
  await signUp(b, uniqueEmail());
  const res = await b.get('/');
  assert.equal(res.status, 500);
  assert.ok(!res.body.includes('database went away'), 'no internals on the page');
  const requestId = res.headers.get('x-request-id');
  assert.ok(requestId && res.body.includes(requestId));
  const entry = logs.map((line) => JSON.parse(line)).find((e) => e.event === 'error');
  assert.equal(entry?.requestId, requestId);
  assert.equal(entry?.message, 'database went away');
});

test('a ServiceError that escapes a route becomes its status and message, not a 500', async () => {
  const code: ServiceErrorCode = 'SESSION_EXPIRED';
  const faulty: Services = {
    ...t.services,
    accounts: {
      ...t.services.accounts,
      getUser: async () => {
        throw new ServiceError(code, 'gone');
      },
    },
  };
  const app = createApp({ config: t.config, services: faulty, log: () => {} });
  const b = new Browser(app, new URL(t.config.publicUrl).origin);
  await signUp(b, uniqueEmail());
  const res = await b.get('/');
  assert.equal(res.status, SERVICE_ERRORS[code].status);
  assert.ok(res.body.includes(SERVICE_ERRORS[code].message.replaceAll("'", '&#39;')));
});

test('every service error code has a status and a message', () => {
  for (const [code, entry] of Object.entries(SERVICE_ERRORS)) {
    assert.ok(entry.status >= 400 && entry.status < 500, code);
    assert.ok(entry.message.length > 10, code);
  }
});

test('a body over 16 KiB: 413', async () => {
  const b = browserFor(t);
  await b.get('/login');
  const res = await b.post('/login', { email: 'a@b.c', password: 'x'.repeat(20_000) });
  assert.equal(res.status, 413);
});
