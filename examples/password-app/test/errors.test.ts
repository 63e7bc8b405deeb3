/**
 * Threat: one request taking the whole app down. A refusal from twofa the app did not expect (2FA already on
 * when a second tab posts the set-up form again) or twofa being unreachable must give that person an error
 * page, not an exception that escapes the node:http callback (an unhandled rejection ends the process, and
 * with it everyone's sign-in).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { TwofaApiError, type TwofaClient } from '@twofa/client';
import { createPasswordApp } from '../src/app.ts';
import { listen } from '../src/main.ts';

const refused = () =>
  Promise.reject(new TwofaApiError(409, 'TOTP_ALREADY_ENABLED', 'Two-factor authentication is already on.'));
const TWOFA_SAYS_ALREADY_ON = { startEnrollment: refused } as unknown as TwofaClient;

async function signedUp(handle: (request: Request) => Promise<Response>): Promise<string> {
  const response = await handle(
    new Request('http://app.test/signup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=long%20enough',
    }),
  );
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

test('a refusal from twofa while starting the set-up is an error page with its words', async () => {
  const handle = createPasswordApp({ twofa: TWOFA_SAYS_ALREADY_ON });
  const cookie = await signedUp(handle);
  const response = await handle(
    new Request('http://app.test/2fa/setup', { method: 'POST', headers: { Cookie: cookie } }),
  );
  assert.equal(response.status, 400);
  assert.match(await response.text(), /already on/);
});

test('behind node:http, a handler that throws (twofa unreachable) answers 500 and the app keeps serving', async () => {
  let calls = 0;
  const server = await listen(async () => {
    calls++;
    if (calls === 1) throw new TypeError('fetch failed');
    return new Response('ok');
  }, 0);
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const first = await fetch(url);
    assert.equal(first.status, 500);
    assert.doesNotMatch(await first.text(), /fetch failed|TypeError/, 'no internals in the page');
    assert.equal((await fetch(url)).status, 200, 'still serving');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
