// Threat: account enumeration. Someone probes which emails have accounts by comparing the answers to a login
// with an unknown email and with a known email and a wrong password. Both must get the same status and the
// same page (the services also spend the same work: a dummy hash is verified for unknown emails; timing is a
// benchmark's business, not a test's). Sign-up too: a new address and a taken one get the same page and no
// session (the owner of the taken one is told by email instead).
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { MESSAGE_RESEND_INTERVAL_MS } from '../../src/services/limits.ts';
import { sqlitePath } from '../../src/store/open.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import type { Browser, Page } from '../support/client.ts';
import {
  accountWithTOTP,
  browserFor,
  logIn,
  PASSWORD,
  signUp,
  uniqueEmail,
  verifyEmail,
} from '../support/flows.ts';
import { lastMail } from '../support/outbox.ts';

let t: TestApp;
before(async () => {
  t = await makeTestApp();
});
after(() => t.close());

/** A page with what differs by construction (the echoed email, this browser's CSRF token) blanked out. */
function normalized(page: Page, email: string, b: Browser): string {
  return page.body.replaceAll(email, '<EMAIL>').replaceAll(b.csrf ?? '<none>', '<CSRF>');
}

async function attempt(email: string, password: string) {
  const b = browserFor(t);
  const page = await logIn(b, email, password);
  return { page, body: normalized(page, email, b), b };
}

test('unknown email and wrong password: same status, same page, no session', async () => {
  const known = uniqueEmail();
  await signUp(browserFor(t), known);
  const unknown = uniqueEmail('nobody');
  const wrong = await attempt(known, 'not the password');
  const missing = await attempt(unknown, 'not the password');
  assert.equal(wrong.page.status, 401);
  assert.equal(missing.page.status, wrong.page.status);
  assert.equal(missing.body, wrong.body);
  assert.deepEqual(
    [...missing.page.headers.keys()].filter((k) => k !== 'x-request-id' && k !== 'set-cookie').sort(),
    [...wrong.page.headers.keys()].filter((k) => k !== 'x-request-id' && k !== 'set-cookie').sort(),
  );
  assert.equal(wrong.b.cookie(SESSION_COOKIE), undefined);
  assert.equal(missing.b.cookie(SESSION_COOKIE), undefined);
});

test('a wrong password does not reveal whether the account has 2FA', async () => {
  const plain = uniqueEmail();
  await signUp(browserFor(t), plain);
  const { email: guarded } = await accountWithTOTP(t);
  const a = await attempt(plain, 'not the password');
  const b = await attempt(guarded, 'not the password');
  assert.equal(a.page.status, b.page.status);
  assert.equal(a.body, b.body);
});

test('email case and surrounding spaces do not change the answer', async () => {
  const known = uniqueEmail();
  await signUp(browserFor(t), known);
  const upper = known.toUpperCase();
  const wrong = await attempt(upper, 'not the password');
  const missing = await attempt(uniqueEmail('nobody').toUpperCase(), 'not the password');
  assert.equal(wrong.page.status, missing.page.status);
  assert.equal((await logIn(browserFor(t), ` ${upper} `, PASSWORD)).status, 303, 'the right password works');
});

test('sign-up: a new address and taken ones (with and without 2FA) get the same status and page', async () => {
  const plain = uniqueEmail();
  await signUp(browserFor(t), plain);
  const { email: guarded } = await accountWithTOTP(t);
  const answers: { status: number; body: string }[] = [];
  for (const email of [uniqueEmail('new'), plain, guarded]) {
    const b = browserFor(t);
    await b.get('/signup');
    const page = await b.post('/signup', { email, password: 'a fresh password' });
    assert.equal(b.cookie(SESSION_COOKIE), undefined, 'no session either way');
    answers.push({ status: page.status, body: normalized(page, email, b) });
  }
  assert.equal(answers[0]!.status, 200);
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[2], answers[0]);
  // The owners of the taken addresses were told; the new address got its confirmation.
  await t.services.messages.flush();
  assert.match((await lastMail(t.config, plain, /./)).subject, /someone tried to sign up/);
  assert.match((await lastMail(t.config, guarded, /./)).subject, /someone tried to sign up/);
});

test('forgot password: a known, an unknown and an unconfirmed address get the same page', async () => {
  const unconfirmed = uniqueEmail();
  await signUp(browserFor(t), unconfirmed);
  const confirmed = uniqueEmail();
  const owner = browserFor(t);
  await signUp(owner, confirmed);
  await verifyEmail(t, owner, confirmed);
  const answers: { status: number; body: string }[] = [];
  for (const email of [confirmed, unconfirmed, uniqueEmail('nobody')]) {
    const b = browserFor(t);
    await b.get('/password/forgot');
    const page = await b.post('/password/forgot', { email });
    answers.push({ status: page.status, body: normalized(page, email, b) });
  }
  assert.equal(answers[0]!.status, 200);
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[2], answers[0]);
  await t.services.messages.flush();
  assert.match((await lastMail(t.config, confirmed, /./)).subject, /reset your password/);
  assert.doesNotMatch(
    (await lastMail(t.config, unconfirmed, /./)).subject,
    /reset/,
    'an unconfirmed address gets no link',
  );
});

test('forgot password: a confirmed address costs no more work before the answer than an unknown one', async () => {
  // The link for a confirmed address means writes (the hashed token, the audit row); done before the answer
  // they make it slower (or, with the database busy, a 503) where an unknown address answers at once. Here
  // another connection holds the write lock while both ask: the answer must not wait for any write.
  const confirmed = uniqueEmail();
  const owner = browserFor(t);
  await signUp(owner, confirmed);
  await verifyEmail(t, owner, confirmed);
  const locker = new DatabaseSync(sqlitePath(t.config.dataDir));
  const answers: { status: number; body: string }[] = [];
  try {
    locker.exec('BEGIN IMMEDIATE');
    for (const email of [confirmed, uniqueEmail('nobody')]) {
      const b = browserFor(t);
      await b.get('/password/forgot');
      const page = await b.post('/password/forgot', { email });
      answers.push({ status: page.status, body: normalized(page, email, b) });
    }
  } finally {
    locker.exec('ROLLBACK');
    locker.close();
  }
  assert.equal(answers[0]!.status, 200);
  assert.deepEqual(answers[1], answers[0]);
  // What the busy database refused in the background was logged, without the address; asked again once it
  // is free (past the once-a-minute limit), the link goes out.
  await t.services.messages.flush();
  assert.ok(t.logs.every((line) => !line.includes(confirmed)));
  t.clock.advance(MESSAGE_RESEND_INTERVAL_MS);
  const again = browserFor(t);
  await again.get('/password/forgot');
  assert.equal((await again.post('/password/forgot', { email: confirmed })).status, 200);
  await t.services.messages.flush();
  assert.match((await lastMail(t.config, confirmed, /./)).subject, /reset your password/);
});
