// Threat: a forged client address. X-Forwarded-For is anyone's to write: a client that could name its own
// address would escape its request budget (a new "address" per request) and put any address it likes in the
// owner's audit log. The header is believed only when the socket's peer is a trusted proxy
// (TWOFA_TRUSTED_PROXIES), and then walked from the right past trusted proxies: the first untrusted address is
// the client, and whatever the client wrote to the left of it is never read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientAddress, NO_TRUSTED_PROXIES, parseTrustedProxies } from '../../src/client-address.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { browserFor, PASSWORD, uniqueEmail } from '../support/flows.ts';

const trusted = parseTrustedProxies('10.0.0.0/8, 127.0.0.1, fd00::/8');

test('the socket address when no proxy is trusted, whatever the header says', () => {
  assert.equal(clientAddress('198.51.100.1', '203.0.113.9', NO_TRUSTED_PROXIES), '198.51.100.1');
  assert.equal(clientAddress('::ffff:198.51.100.1', undefined, NO_TRUSTED_PROXIES), '198.51.100.1');
  assert.equal(clientAddress(undefined, '203.0.113.9', trusted), undefined);
});

test('an untrusted peer: the header is ignored', () => {
  assert.equal(clientAddress('198.51.100.1', '10.0.0.1, 203.0.113.9', trusted), '198.51.100.1');
});

test('a trusted peer: the right-most untrusted entry, spoofed left entries ignored', () => {
  assert.equal(clientAddress('127.0.0.1', '203.0.113.9', trusted), '203.0.113.9');
  // The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
  assert.equal(clientAddress('127.0.0.1', '1.2.3.4, 203.0.113.9', trusted), '203.0.113.9');
  // Two trusted hops (a load balancer at 10.1.2.3 in front of nginx at 127.0.0.1).
  assert.equal(clientAddress('127.0.0.1', '1.2.3.4, 203.0.113.9, 10.1.2.3', trusted), '203.0.113.9');
  assert.equal(clientAddress('127.0.0.1', '2001:db8::5, fd00::1', trusted), '2001:db8::5');
  assert.equal(clientAddress('127.0.0.1', '[2001:db8::5]:4711', trusted), '2001:db8::5');
  // Every hop trusted: the left-most (a request from inside the network).
  assert.equal(clientAddress('127.0.0.1', '10.9.9.9, 10.1.2.3', trusted), '10.9.9.9');
  // Garbage ends the walk at the last address believed.
  assert.equal(clientAddress('127.0.0.1', '203.0.113.9, garbage', trusted), '127.0.0.1');
});

describe('through the app: the address the budget and the audit log see', () => {
  let t: TestApp;
  before(async () => {
    t = await makeTestApp({
      env: { TWOFA_CLIENT_REQUESTS_PER_MINUTE: '2', TWOFA_TRUSTED_PROXIES: '127.0.0.1/32' },
    });
  });
  after(() => t.close());

  async function post(peer: string, forwardedFor: string): Promise<number> {
    const b = browserFor(t);
    b.peer = peer;
    await b.get('/login');
    const fields = { email: uniqueEmail(), password: 'wrong password' };
    return (await b.post('/login', fields, { headers: { 'X-Forwarded-For': forwardedFor } })).status;
  }

  test('from an untrusted peer, a new X-Forwarded-For each time does not escape the budget', async () => {
    const statuses = [];
    for (let i = 1; i <= 3; i++) statuses.push(await post('198.51.100.50', `203.0.113.${i}`));
    assert.deepEqual(statuses, [401, 401, 429]);
  });

  test('from the trusted proxy, each forwarded client has its own budget; spoofed left entries change nothing', async () => {
    const statuses = [];
    for (let i = 1; i <= 3; i++) statuses.push(await post('127.0.0.1', `192.0.2.${i}, 203.0.113.77`));
    assert.deepEqual(statuses, [401, 401, 429]);
    assert.equal(await post('127.0.0.1', '203.0.113.78'), 401);
  });

  test('the audit log records the forwarded client, not the proxy nor the spoofed entry', async () => {
    const b = browserFor(t);
    b.peer = '127.0.0.1';
    t.clock.advance(60_000);
    const email = uniqueEmail();
    const headers = { 'X-Forwarded-For': '6.6.6.6, 203.0.113.99' };
    await b.get('/signup');
    assert.equal((await b.post('/signup', { email, password: PASSWORD }, { headers })).status, 200);
    await b.get('/login');
    assert.equal((await b.post('/login', { email, password: PASSWORD }, { headers })).status, 303);
    const security = await b.get('/security');
    assert.match(security.body, /203\.0\.113\.99/);
    assert.doesNotMatch(security.body, /6\.6\.6\.6|127\.0\.0\.1/);
  });
});
