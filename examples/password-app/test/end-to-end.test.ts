/**
 * End to end, as the README tells it: a real twofa service (`serve`, SQLite in a temporary directory), an
 * API key made with the operator's command (`twofa admin api-key create`, a separate process), and this
 * example app on its own port talking to the service over HTTP through @twofa/client. A person signs up,
 * turns 2FA on from the QR code's key, logs out, and logs in again with a code, a replayed code, a wrong code
 * and a recovery code.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createTwofaClient } from '@twofa/client';
import { generateTOTP, parseKeyURI } from '@twofa/otp';
import { type RunningServer, serve } from '@twofa/server';
import { createPasswordApp } from '../src/app.ts';
import { listen } from '../src/main.ts';

const TWOFA_BIN = join(import.meta.dirname, '..', '..', '..', 'packages', 'cli', 'bin', 'twofa.js');

let dataDir: string;
let twofa: RunningServer;
let appServer: Awaited<ReturnType<typeof listen>>;
let appUrl: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twofa-example-'));
  const env = { TWOFA_DATA_DIR: dataDir, TWOFA_HOST: '127.0.0.1', TWOFA_PORT: '0', TWOFA_LOG: '0' };
  twofa = await serve({ env, log: () => {} });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      TWOFA_BIN,
      'admin',
      'api-key',
      'create',
      '--name',
      'password app',
      '--scopes',
      'enroll,verify',
      '--json',
    ],
    { env: { ...process.env, ...env } },
  );
  const { token } = JSON.parse(stdout) as { token: string };
  appServer = await listen(
    createPasswordApp({ twofa: createTwofaClient({ baseUrl: twofa.url, apiKey: token }) }),
    0,
  );
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => appServer?.close(resolve));
  await twofa?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A person at a browser: one cookie, forms posted, redirects seen. */
function person() {
  let cookie = '';
  async function send(method: string, path: string, fields?: Record<string, string>) {
    const res = await fetch(`${appUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { Cookie: cookie } : {}),
        ...(fields ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(fields ? { body: new URLSearchParams(fields).toString() } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }
  return {
    get: (path: string) => send('GET', path),
    post: (path: string, fields: Record<string, string> = {}) => send('POST', path, fields),
  };
}

test('sign up, turn 2FA on from the QR code, and log in with codes through the twofa API', async () => {
  const alice = person();
  assert.equal((await alice.post('/signup', { username: 'alice', password: 'correct horse' })).location, '/');
  assert.match((await alice.get('/')).body, /Two-factor authentication is off/);

  const setup = await alice.post('/2fa/setup');
  assert.equal(setup.status, 200);
  assert.match(setup.body, /<img alt="QR code" src="data:image\/png;base64,/);
  const uri = /href="(otpauth:\/\/[^"]+)"/.exec(setup.body)![1]!.replaceAll('&#38;', '&');
  const key = parseKeyURI(uri);
  assert.equal(key.account, 'alice');
  assert.equal(key.issuer, 'Password App');
  const enrollmentId = /name="enrollmentId" value="([^"]+)"/.exec(setup.body)![1]!;

  const wrongSetup = await alice.post('/2fa/confirm', {
    enrollmentId,
    code: '000000' === generateTOTP({ secret: key.secret }) ? '111111' : '000000',
  });
  assert.equal(wrongSetup.status, 400);
  const confirmed = await alice.post('/2fa/confirm', {
    enrollmentId,
    code: generateTOTP({ secret: key.secret }),
  });
  assert.equal(confirmed.status, 200, confirmed.body);
  const recoveryCodes = [...confirmed.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
  assert.equal(recoveryCodes.length, 10);
  await alice.post('/logout');

  // The password alone is not enough any more.
  const pending = await alice.post('/login', { username: 'alice', password: 'correct horse' });
  assert.equal(pending.location, '/login/code');
  assert.equal((await alice.get('/')).body.includes('Hello'), false);
  assert.equal((await alice.post('/login/code', { code: 'abc' })).status, 400, 'not a code');
  const wrong = await alice.post('/login/code', {
    code: generateTOTP({ secret: key.secret, nowMs: Date.now() - 10 * 60_000 }),
  });
  assert.equal(wrong.status, 401);
  // The code of the next step (the confirmation used this one; the service accepts one step either side).
  const code = generateTOTP({ secret: key.secret, nowMs: Date.now() + 30_000 });
  assert.equal((await alice.post('/login/code', { code })).location, '/');
  assert.match((await alice.get('/')).body, /Hello, alice.*Two-factor authentication is on/s);
  await alice.post('/logout');

  // The same code again: refused (a code works once), then a recovery code works.
  await alice.post('/login', { username: 'alice', password: 'correct horse' });
  assert.equal((await alice.post('/login/code', { code })).status, 401, 'replayed code');
  assert.equal((await alice.post('/login/code', { code: recoveryCodes[0]! })).location, '/');
  assert.match((await alice.get('/')).body, /Hello, alice/);
});

test("one user's codes do not open another's account", async () => {
  const bob = person();
  await bob.post('/signup', { username: 'bob', password: 'battery staple' });
  const setup = await bob.post('/2fa/setup');
  const key = parseKeyURI(/href="(otpauth:\/\/[^"]+)"/.exec(setup.body)![1]!.replaceAll('&#38;', '&'));
  const enrollmentId = /name="enrollmentId" value="([^"]+)"/.exec(setup.body)![1]!;
  await bob.post('/2fa/confirm', { enrollmentId, code: generateTOTP({ secret: key.secret }) });
  await bob.post('/logout');
  const carol = person();
  await carol.post('/signup', { username: 'carol', password: 'battery staple' });
  const carolSetup = await carol.post('/2fa/setup');
  const carolKey = parseKeyURI(
    /href="(otpauth:\/\/[^"]+)"/.exec(carolSetup.body)![1]!.replaceAll('&#38;', '&'),
  );
  const carolEnrollment = /name="enrollmentId" value="([^"]+)"/.exec(carolSetup.body)![1]!;
  await carol.post('/2fa/confirm', {
    enrollmentId: carolEnrollment,
    code: generateTOTP({ secret: carolKey.secret }),
  });
  await carol.post('/logout');
  await bob.post('/login', { username: 'bob', password: 'battery staple' });
  const res = await bob.post('/login/code', {
    code: generateTOTP({ secret: carolKey.secret, nowMs: Date.now() + 30_000 }),
  });
  assert.equal(res.status, 401);
});
