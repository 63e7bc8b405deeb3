import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { OUTCOMES, outcomeOf } from '../../src/outcomes.ts';
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
        throw new ServiceError(code);
      },
    },
  };
  const app = createApp({ config: t.config, services: faulty, log: () => {} });
  const b = new Browser(app, new URL(t.config.publicUrl).origin);
  await signUp(b, uniqueEmail());
  const res = await b.get('/');
  assert.equal(res.status, OUTCOMES[code].status);
  assert.ok(res.body.includes(OUTCOMES[code].message.replaceAll("'", '&#39;')));
});

test('every service error code has a status and a message, each message its own', () => {
  const messages = new Set<string>();
  for (const [code, entry] of Object.entries(OUTCOMES)) {
    // The client's fault (4xx), but for an outage the client can only wait out: this service's database
    // (UNAVAILABLE) or a service it depends on (MESSAGE_NOT_SENT: the mail server, the SMS gateway), or a
    // full queue of password checks (BUSY: a login storm).
    if (code === 'UNAVAILABLE' || code === 'MESSAGE_NOT_SENT' || code === 'BUSY')
      assert.equal(entry.status, 503);
    else assert.ok(entry.status >= 400 && entry.status < 500, code);
    assert.ok(entry.message.length > 10, code);
    assert.ok(!messages.has(entry.message), `${code} repeats another code's message`);
    messages.add(entry.message);
  }
});

test('a malformed code is told what to type, by what would have been accepted', () => {
  const totp = outcomeOf(new ServiceError('MALFORMED_CODE', { field: 'code', expected: 'totp' }));
  assert.equal(totp.message, 'Enter the 6 digits the app shows.');
  assert.equal(totp.field, 'code');
  const either = outcomeOf(new ServiceError('MALFORMED_CODE', { expected: 'totp-or-recovery' }));
  assert.match(either.message, /or one of your recovery codes/);
});

test('a service error says its code, never a sentence a page could show instead of the table', () => {
  const error = new ServiceError('WRONG_PASSWORD', { field: 'currentPassword' });
  assert.equal(error.message, 'WRONG_PASSWORD (currentPassword)');
  assert.equal(outcomeOf(error).message, OUTCOMES.WRONG_PASSWORD.message);
});

test('a body over 16 KiB: 413', async () => {
  const b = browserFor(t);
  await b.get('/login');
  const res = await b.post('/login', { email: 'a@b.c', password: 'x'.repeat(20_000) });
  assert.equal(res.status, 413);
});
