/** What a person does, step by step, for the suites that need an account in some state. */
import assert from 'node:assert/strict';
import { generateTOTP } from '@twofa/otp';
import { DEVICE_COOKIE } from '../../src/middleware/session/index.ts';
import type { Clock, TestApp } from './app.ts';
import { Browser, keyFromPage, type Page } from './client.ts';
import { codeIn, lastMail } from './outbox.ts';

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A new email address each call. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}@example.com`;
}

export function browserFor(t: TestApp): Browser {
  return new Browser(t.app, new URL(t.config.publicUrl).origin);
}

/**
 * Signs up ("check your email": no session), then logs in with the password, as the page says; the browser
 * ends signed in (full session). Returns the log-in's redirect.
 */
export async function signUp(b: Browser, email: string, password = PASSWORD): Promise<Page> {
  await b.get('/signup');
  const page = await b.post('/signup', { email, password });
  assert.equal(page.status, 200, `sign-up failed with ${page.status}`);
  assert.match(page.body, /Check your email/);
  const login = await b.post('/login', { email, password });
  assert.equal(login.status, 303, `log-in after sign-up failed with ${login.status}`);
  return login;
}

/** Confirms the signed-in account's address with the code from the outbox. */
export async function verifyEmail(t: TestApp, b: Browser, email: string): Promise<void> {
  await t.services.messages.flush();
  const code = codeIn(await lastMail(t.config, email, /confirm your email address/));
  await b.get('/security');
  const page = await b.post('/security/email/code', { code });
  assert.equal(page.status, 303, `verification failed with ${page.status}`);
}

/** The code the app would show now (offsetSteps moves to a later or earlier 30-second step). */
export function codeNow(secret: Uint8Array, clock: Clock, offsetSteps = 0): string {
  return generateTOTP({ secret, nowMs: clock.now() + offsetSteps * 30_000 });
}

/** Starts set-up from the security page and returns the key the page offers (not yet confirmed). */
export async function beginSetUp(b: Browser): Promise<{ secret: Uint8Array; page: Page }> {
  await b.get('/security');
  const started = await b.post('/security/totp/begin');
  assert.equal(started.status, 303);
  const page = await b.get('/security');
  return { secret: keyFromPage(page.body).secret, page };
}

/** The recovery codes a page shows (the page shown once after 2FA is turned on or a new set is made). */
export function recoveryCodesFromPage(body: string): string[] {
  return [...body.matchAll(/<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})<\/code><\/li>/g)].map(
    (m) => m[1]!,
  );
}

/**
 * Sets up and confirms the authenticator (password and a code) at the clock's time, then goes on from the
 * recovery codes page as a person would ("I have saved my recovery codes"); returns the secret and the codes.
 * That step is now used.
 */
export async function enableTOTPWithCodes(
  b: Browser,
  clock: Clock,
  password = PASSWORD,
): Promise<{ secret: Uint8Array; recoveryCodes: string[] }> {
  const { secret } = await beginSetUp(b);
  const confirmed = await b.post('/security/totp/confirm', { password, code: codeNow(secret, clock) });
  assert.equal(confirmed.status, 200, `confirm failed with ${confirmed.status}`);
  const recoveryCodes = recoveryCodesFromPage(confirmed.body);
  assert.equal(recoveryCodes.length, 10, 'the confirmation shows 10 recovery codes');
  const saved = await b.post('/security/recovery/saved', { saved: 'yes', done: 'totp-on' });
  assert.equal(saved.status, 303);
  return { secret, recoveryCodes };
}

/** As {@link enableTOTPWithCodes}, for the suites that need only the secret. */
export async function enableTOTP(b: Browser, clock: Clock, password = PASSWORD): Promise<Uint8Array> {
  return (await enableTOTPWithCodes(b, clock, password)).secret;
}

/** The password step; returns the response (303 to /login/code when 2FA is on). */
export async function logIn(b: Browser, email: string, password = PASSWORD): Promise<Page> {
  await b.get('/login');
  return b.post('/login', { email, password });
}

export async function logOut(b: Browser): Promise<Page> {
  await b.get('/');
  return b.post('/logout');
}

/** A full account with 2FA on, logged out, in a fresh browser; the clock is moved past the used step. */
export async function accountWithTOTP(t: TestApp): Promise<{ email: string; secret: Uint8Array }> {
  const b = browserFor(t);
  const email = uniqueEmail();
  await signUp(b, email);
  const secret = await enableTOTP(b, t.clock);
  await logOut(b);
  t.clock.advance(30_000);
  return { email, secret };
}

/**
 * Signs in with the password and a code, ticking "Remember this device", then logs out: the browser keeps its
 * device cookie, and the clock is moved past the used step.
 */
export async function signInRemembered(t: TestApp, email: string, secret: Uint8Array): Promise<Browser> {
  const b = browserFor(t);
  assert.equal((await logIn(b, email)).location, '/login/code');
  await b.get('/login/code');
  const done = await b.post('/login/code', { code: codeNow(secret, t.clock), rememberDevice: 'yes' });
  assert.equal(done.location, '/');
  assert.ok(b.cookie(DEVICE_COOKIE), 'the device cookie is set');
  await logOut(b);
  t.clock.advance(30_000);
  return b;
}

/** A confirmed account with 2FA on whose owner's browser is a remembered device (logged out). */
export async function accountWithRememberedDevice(
  t: TestApp,
  label: string,
): Promise<{ email: string; secret: Uint8Array; owner: Browser }> {
  const b = browserFor(t);
  const email = uniqueEmail(label);
  await signUp(b, email);
  await verifyEmail(t, b, email);
  const secret = await enableTOTP(b, t.clock);
  await logOut(b);
  t.clock.advance(30_000);
  return { email, secret, owner: await signInRemembered(t, email, secret) };
}
