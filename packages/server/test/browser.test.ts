// The whole service as a person uses it, in real Chromium driven by playwright-core against the real server:
// sign up; set up the authenticator by reading the QR code from a screenshot with zbarimg; confirm with the
// password and a code computed from it; log out; log in with password and code; the same code again is
// refused; log out.
// Along the way: the copy script runs under the CSP and the browser reports no CSP violation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateTOTP, getTOTPStep, parseKeyURI } from '@twofa/otp';
import { type Browser, chromium, type Page } from 'playwright-core';
import { skipUnlessTool } from '../../otp/test/support/tools.ts';
import { type RunningServer, serve } from '../src/index.ts';

const skip = skipUnlessTool('chromium') || skipUnlessTool('zbarimg');

const EMAIL = 'browser-person@example.com';
const PASSWORD = 'a long and happy passphrase';

let dir: string;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip) return;
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

async function logIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(EMAIL);
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

  // Sign up.
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${server.url}/security?done=welcome`);

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
  assert.ok(await copy.isVisible(), 'the script unhid the button');
  await copy.click();
  await page.getByText(/^(Copied\.|Selected)/).waitFor();

  // Confirm with the password and the code computed from what the QR code said. The change-password form
  // has a "Current password" field too: use the one in the form with the "Turn on" button.
  const confirmForm = page.locator('form', { has: page.getByRole('button', { name: 'Turn on' }) });
  await confirmForm.getByLabel('Current password').fill(PASSWORD);
  const confirmedAt = Date.now();
  await confirmForm
    .getByLabel('Code from your authenticator app')
    .fill(generateTOTP({ secret: key.secret, nowMs: confirmedAt }));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Two-factor authentication is on.').waitFor();
  assert.equal(await page.locator('#totp-secret').count(), 0, 'the key is gone once confirmed');

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

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});
