// The whole service as a person uses it, in real Chromium driven by playwright-core against the real server.
// First: sign up; set up the authenticator by reading the QR code from a screenshot with zbarimg; confirm with
// the password and a code computed from it; log out; log in with password and code; the same code again is
// refused; log out.
// Second: set up by typing the key shown into oathtool (another authenticator); a wrong password first; the
// ten recovery codes shown once (download, print, "I have saved them"); log in with one of them typed
// differently from the list; the security page counts and lists its use; the same code again is refused.
// Third: the same set-up with JavaScript off still works, and shows no button that only a script can run.
// In the first, also: the address is confirmed by the link in the message the outbox holds, and at the end
// the password is reset by the mailed link, which asks for a second factor (a recovery code here) and then
// signing in asks for the authenticator again, or (codes by email turned on) a code from the outbox.
// Along the way: our scripts run under the CSP, the browser reports no CSP violation, and a refused form puts
// the focus on the field in error, marked invalid and tied to its message.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateTOTP, getTOTPStep, parseKeyURI } from '@twofa/otp';
import { simpleParser } from 'mailparser';
import { type Browser, chromium, type Page } from 'playwright-core';
import { skipUnlessTool } from '../../otp/test/support/tools.ts';
import { type RunningServer, serve } from '../src/index.ts';

const skip = skipUnlessTool('chromium') || skipUnlessTool('zbarimg');
const skipTyped = skipUnlessTool('chromium') || skipUnlessTool('oathtool');

const EMAIL = 'browser-person@example.com';
const RECOVERING_EMAIL = 'lost-phone@example.com';
const PASSWORD = 'a long and happy passphrase';

let dir: string;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip && skipTyped) return;
  dir = await mkdtemp(join(tmpdir(), 'twofa-browser-'));
  server = await serve({ env: { TWOFA_PORT: '0', TWOFA_DATA_DIR: dir, TWOFA_LOG: '0' }, log: () => {} });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Collects console errors (CSP violations are reported there), script errors and failed subresources
 * (stylesheet, script). A page answered with 401 on purpose (a wrong code) logs "Failed to load resource"
 * too; those are judged by the response listener instead, which skips documents.
 */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document' && response.status() >= 400) {
      problems.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => problems.push(`failed ${request.url()}`));
  return problems;
}

/**
 * From the home page, as a visitor: create an account ("check your email"), then log in with the password as
 * that page says; ends on the security page.
 */
async function signUp(page: Page, email: string): Promise<void> {
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.getByRole('link', { name: 'Log in' }).last().click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByRole('link', { name: 'Security', exact: true }).click();
  await page.waitForURL(`${server.url}/security`);
}

/** The text of the newest message of `purpose` in the server's outbox (some are sent in the background). */
async function mailFromOutbox(purpose: string): Promise<string> {
  for (let tries = 0; tries < 50; tries++) {
    const files = (await readdir(join(dir, 'outbox')).catch(() => [] as string[]))
      .filter((f) => f.includes(`-${purpose}-`) && f.endsWith('.eml'))
      .sort();
    if (files.length > 0)
      return (await simpleParser(await readFile(join(dir, 'outbox', files.at(-1)!)))).text ?? '';
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no ${purpose} message in the outbox`);
}

async function linkFromOutbox(purpose: string): Promise<string> {
  const link = new RegExp(`${server.url}/\\S+`).exec(await mailFromOutbox(purpose))?.[0];
  assert.ok(link, `a link in the ${purpose} message`);
  return link;
}

/**
 * After a refused form: waits for the focus to land on the field with this id (autofocus runs as the page
 * renders), checks it is marked invalid, and returns the text of what its aria-describedby points at (the
 * hint, if any, then the error), so the caller can check that the message is read out with the field.
 */
async function fieldInError(page: Page, id: string): Promise<string> {
  await page
    .waitForFunction((expected) => document.activeElement?.id === expected, id, { timeout: 5_000 })
    .catch(async () => {
      const focused = await page.evaluate(
        () => document.activeElement?.id || document.activeElement?.tagName,
      );
      assert.fail(`focus should be on #${id} after the refused form, is on ${focused}`);
    });
  const input = page.locator(`#${id}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `#${id} is marked invalid`);
  const refs = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  assert.ok(refs.includes(`${id}-error`), `#${id} is described by its error: "${refs.join(' ')}"`);
  const texts = await Promise.all(
    refs.map(async (ref) => {
      const target = page.locator(`[id="${ref}"]`);
      assert.equal(await target.count(), 1, `aria-describedby of #${id} names an element: ${ref}`);
      return (await target.textContent()) ?? '';
    }),
  );
  return texts.join(' ');
}

async function logIn(page: Page, email = EMAIL): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/login/code`);
}

test('sign up, set up from the QR code, log out, log in with a code, refuse its replay', {
  skip,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone-sized window
  context.setDefaultTimeout(10_000); // a step that does not happen fails in seconds, not after 30
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  const problems = watchConsole(page);

  await signUp(page, EMAIL);

  // Confirm the address: the link in the message (the outbox: no SMTP server here) opens a button.
  await page.getByText('is not confirmed yet').waitFor();
  await page.goto(await linkFromOutbox('verify_email'));
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await page.getByText('Your email address is confirmed.').waitFor();
  await page.getByRole('link', { name: 'Back to Security' }).click();
  await page.getByText('is confirmed: it can reset your password').waitFor();

  // Set up: the QR code, read from a screenshot the way a phone camera would.
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  const shot = join(dir, 'qr.png');
  await qr.screenshot({ path: shot });
  const uri = execFileSync('zbarimg', ['-q', '--raw', shot], { encoding: 'utf8' }).trim();
  const key = parseKeyURI(uri);
  assert.equal(key.type, 'totp');
  assert.equal(key.account, EMAIL);
  assert.equal(key.issuer, 'twofa');

  // The key in groups of four matches the QR code; the copy button (our one script) works under the CSP.
  const grouped = (await page.locator('#totp-secret').textContent()) ?? '';
  assert.equal(grouped.replaceAll(' ', ''), new URL(uri).searchParams.get('secret'));
  const copy = page.getByRole('button', { name: 'Copy key' });
  assert.equal(
    await copy.evaluate((button: HTMLButtonElement) => button.hidden),
    false,
    'the script unhid it',
  );
  assert.ok(await copy.isVisible());
  await copy.click();
  await page.getByText(/^(Copied\.|Selected)/).waitFor();

  // Confirm with the password and the code computed from what the QR code said. The change-password form
  // has a "Current password" field too: use the one in the form with the "Turn on" button.
  const confirmForm = page.locator('form', {
    has: page.getByRole('button', { name: 'Turn on', exact: true }),
  });
  await confirmForm.getByLabel('Current password').fill(PASSWORD);
  const confirmedAt = Date.now();
  await confirmForm
    .getByLabel('Code from your authenticator app')
    .fill(generateTOTP({ secret: key.secret, nowMs: confirmedAt }));
  await page.getByRole('button', { name: 'Turn on', exact: true }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication is on' }).waitFor();
  assert.equal(await page.locator('#totp-secret').count(), 0, 'the key is gone once confirmed');
  const recoveryCodes = (await page.locator('ol.recovery-codes li code').allTextContents()).map((c) =>
    c.trim(),
  );

  // Codes by email too (the address is confirmed): the password turns them on.
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/security?done=totp-on`);
  const emailCodesForm = page.locator('form', {
    has: page.getByRole('button', { name: 'Turn on codes by email' }),
  });
  await emailCodesForm.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Turn on codes by email' }).click();
  await page.getByText('Codes by email are on.').first().waitFor();

  // Log out, then log in with password and code. The confirming step is used up; the next step's code is
  // inside the +-1 window, so there is no need to wait for the clock.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${server.url}/`);
  await logIn(page);
  const nextStep = getTOTPStep({ nowMs: confirmedAt }) + 1;
  const code = generateTOTP({ secret: key.secret, nowMs: nextStep * 30_000 });
  await page.getByLabel('Code from your authenticator app').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByText(`Signed in as ${EMAIL}.`).waitFor();

  // The same code again, at a fresh code step: refused.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${server.url}/`);
  await logIn(page);
  await page.getByLabel('Code from your authenticator app').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').filter({ hasText: 'already used' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login/code');
  await page.goto(`${server.url}/security`);
  assert.equal(new URL(page.url()).pathname, '/login/code', 'still only half signed in');

  // Log out (mid-login this is "Cancel sign-in").
  await page.getByRole('button', { name: 'Cancel sign-in' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByRole('link', { name: 'Log in' }).first().waitFor();

  // Forgot the password: the mailed link, and (2FA is on) a second factor that is not email.
  await page.getByRole('link', { name: 'Log in' }).first().click();
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.goto(await linkFromOutbox('password_reset'));
  const NEW_PASSWORD = 'another long happy passphrase';
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  const codeField = page.getByLabel('Code from your authenticator app, or a recovery code');
  await codeField.fill(recoveryCodes[0] ?? '');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('heading', { name: 'Password changed' }).waitFor();
  // Signing in with the new password still asks for the authenticator.
  await page.getByRole('link', { name: 'Log in' }).last().click();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/login/code`);
  await page.getByLabel('Code from your authenticator app').waitFor();

  // No phone at hand: a code by email instead.
  await page.getByRole('link', { name: 'Get a code by email' }).click();
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByText('A code is on its way').waitFor();
  const emailed = /Your code: (\d{6})/.exec(await mailFromOutbox('sign_in_code'))?.[1] ?? '';
  await page.getByLabel('Code from the message').fill(emailed);
  // This browser is the owner's own: remembered for 30 days.
  const remember = page.getByLabel('Remember this device for 30 days');
  assert.equal(await remember.isChecked(), false, 'off by default');
  await remember.check();
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByText(`Signed in as ${EMAIL}.`).waitFor();

  // Signing in again on it: the password, and no code.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByText(`Signed in as ${EMAIL}.`).waitFor();
  // The security page lists it, and Revoke forgets it.
  await page.goto(`${server.url}/security`);
  const devices = page.locator('table.devices');
  await devices.getByText('Chrome on Linux').waitFor();
  await devices.getByRole('button', { name: /^Revoke/ }).click();
  await page.getByText('The device is no longer trusted').waitFor();
  assert.equal(await page.locator('table.devices').count(), 0);

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});

test('turn 2FA on by typing the key, save recovery codes, sign in with one, refuse it the second time', {
  skip: skipTyped,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } }); // a laptop this time
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = watchConsole(page);

  await signUp(page, RECOVERING_EMAIL);
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();

  // Type the key as shown (groups of four, spaces and all) into another authenticator: oathtool.
  const shownKey = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
  assert.match(shownKey, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the key in groups of four');
  const appCode = () => execFileSync('oathtool', ['--totp', '-b', shownKey], { encoding: 'utf8' }).trim();

  // A wrong password first: refused, the password field has the focus, is marked invalid and is described by
  // the message. The code was right, and must still work below (the password is checked before the code).
  const confirmForm = page.locator('form', {
    has: page.getByRole('button', { name: 'Turn on', exact: true }),
  });
  await confirmForm.getByLabel('Current password').fill('not the password at all');
  await confirmForm.getByLabel('Code from your authenticator app').fill(appCode());
  await page.getByRole('button', { name: 'Turn on', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'The password is not correct.' }).waitFor();
  assert.equal(await fieldInError(page, 'confirm-password'), 'The password is not correct.');
  assert.equal(
    ((await page.locator('#totp-secret').textContent()) ?? '').trim(),
    shownKey,
    'the same set-up goes on after a refused confirmation',
  );
  assert.equal(await page.locator('[aria-invalid="true"]').count(), 1, 'only the password is marked invalid');

  await confirmForm.getByLabel('Current password').fill(PASSWORD);
  await confirmForm.getByLabel('Code from your authenticator app').fill(appCode());
  await page.getByRole('button', { name: 'Turn on', exact: true }).click();

  // The recovery codes, shown once: ten distinct codes in the displayed form.
  await page.getByRole('heading', { name: 'Two-factor authentication is on' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/security/totp/confirm', 'shown in the response, no redirect');
  const codes = (await page.locator('ol.recovery-codes li code').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10, 'ten different codes');
  for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
  assert.equal(await page.locator('#totp-secret').count(), 0, 'the key is gone once confirmed');

  // "Download as .txt": a data: link holding every code, which the browser saves as a file.
  const download = page.getByRole('link', { name: 'Download as .txt' });
  assert.equal(await download.getAttribute('download'), 'twofa-recovery-codes.txt');
  const href = (await download.getAttribute('href')) ?? '';
  const prefix = 'data:text/plain;charset=utf-8,';
  assert.ok(href.startsWith(prefix), `a data: link of plain text: ${href.slice(0, 40)}`);
  const text = decodeURIComponent(href.slice(prefix.length));
  assert.ok(text.includes(RECOVERING_EMAIL), 'the file says which account the codes are for');
  for (const code of codes)
    assert.ok(text.split('\n').includes(code), `the file lists ${code} on its own line`);
  const [saved] = await Promise.all([page.waitForEvent('download'), download.click()]);
  assert.equal(saved.suggestedFilename(), 'twofa-recovery-codes.txt');
  const savedPath = await saved.path();
  assert.equal(await readFile(savedPath, 'utf8'), text, 'the saved file is the text of the link');

  // "Print": hidden in the markup, shown by /static/print.js, and it asks the browser to print.
  const print = page.getByRole('button', { name: 'Print' });
  await print.waitFor();
  assert.equal(
    await print.evaluate((button: HTMLButtonElement) => button.hidden),
    false,
    'the script unhid it',
  );
  await page.evaluate(() => {
    window.print = () => document.body.setAttribute('data-printed', 'yes'); // no print dialog in a test
  });
  await print.click();
  assert.equal(await page.locator('body').getAttribute('data-printed'), 'yes', 'Print calls window.print()');

  // Continue needs the box ticked: the browser refuses the form until it is.
  const savedBox = page.getByLabel('I have saved my recovery codes');
  assert.equal(await savedBox.evaluate((box: HTMLInputElement) => box.validity.valueMissing), true);
  await savedBox.check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/security?done=totp-on`);
  await page.getByText('Two-factor authentication is on. From now on').waitFor();
  await page.getByText(/^10 unused recovery codes\./).waitFor();

  // The phone is lost: log in with the password, then a recovery code instead of a code from the app.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${server.url}/`);
  await logIn(page, RECOVERING_EMAIL);
  await page.getByRole('link', { name: 'Use a recovery code' }).click();
  await page.waitForURL(`${server.url}/login/recovery`);

  // Something that cannot be a recovery code: refused, with the focus on the field and the message tied to it.
  await page.getByLabel('Recovery code').fill('abc');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Enter a recovery code:' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login/recovery');
  const described = await fieldInError(page, 'recovery-code');
  assert.match(described, /Enter a recovery code: 16 letters and digits/);
  assert.equal(await page.getByLabel('Recovery code').inputValue(), '', 'what was typed is not echoed back');

  // One of the codes typed carelessly: upper case, no dashes. The input is forgiving.
  const used = codes[3] ?? '';
  await page.getByLabel('Recovery code').fill(used.replaceAll('-', '').toUpperCase());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/`);
  await page.getByText(`Signed in as ${RECOVERING_EMAIL}.`).waitFor();

  // The security page counts the code as spent and says what happened.
  await page.getByRole('link', { name: 'Security', exact: true }).click();
  await page.waitForURL(`${server.url}/security`);
  await page.getByText(/^9 unused recovery codes\./).waitFor();
  const activity = page.locator('section', { has: page.getByRole('heading', { name: 'Recent activity' }) });
  const whats = (await activity.locator('table.events tbody tr td:first-child').allTextContents()).map((w) =>
    w.trim(),
  );
  assert.ok(whats.includes('Signed in with a recovery code'), `activity: ${whats.join(' | ')}`);
  assert.ok(whats.includes('Recovery code used (9 left)'), `activity: ${whats.join(' | ')}`);
  assert.ok(whats.includes('Two-factor authentication turned on'), `activity: ${whats.join(' | ')}`);

  // The same code again, this time as it appears on the list: refused, still half signed in.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${server.url}/`);
  await logIn(page, RECOVERING_EMAIL);
  await page.getByRole('link', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(used);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const refused = 'That recovery code is not valid, or it was already used.';
  await page.getByRole('alert').filter({ hasText: refused }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login/recovery');
  assert.ok((await fieldInError(page, 'recovery-code')).includes(refused));
  await page.goto(`${server.url}/security`);
  assert.equal(new URL(page.url()).pathname, '/login/code', 'still only half signed in');

  await page.getByRole('button', { name: 'Cancel sign-in' }).click();
  await page.waitForURL(`${server.url}/`);

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});

// The stylesheet's `.button { display: inline-block }` once outranked the browser's `[hidden]` rule, so
// "Copy key" and "Print" showed, and did nothing, when no script ran.
test('without JavaScript, set-up still works and the script-only buttons stay hidden', {
  skip: skipTyped,
}, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();

  await signUp(page, 'no-script@example.com');
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const shownKey = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
  const copy = page.locator('button[data-copy]');
  assert.equal(await copy.count(), 1, 'the copy button is in the markup');
  const confirmForm = page.locator('form', {
    has: page.getByRole('button', { name: 'Turn on', exact: true }),
  });
  await confirmForm.getByLabel('Current password').fill(PASSWORD);
  await confirmForm
    .getByLabel('Code from your authenticator app')
    .fill(execFileSync('oathtool', ['--totp', '-b', shownKey], { encoding: 'utf8' }).trim());
  const copyShown = await copy.isVisible();
  await page.getByRole('button', { name: 'Turn on', exact: true }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication is on' }).waitFor();
  assert.equal(await page.locator('ol.recovery-codes li code').count(), 10);
  await page.getByRole('link', { name: 'Download as .txt' }).waitFor();
  const print = page.locator('button[data-print]');
  assert.equal(await print.count(), 1, 'the print button is in the markup');
  const printShown = await print.isVisible();
  await context.close();

  assert.deepEqual({ copyShown, printShown }, { copyShown: false, printShown: false }, 'no dead buttons');
});
