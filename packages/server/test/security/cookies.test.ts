// Threats: session theft by injected script (HttpOnly), cross-site request riding (SameSite=Lax), the cookie
// sent over plain HTTP or planted by a sibling subdomain or an HTTP page (Secure and the __Host- prefix when
// the service is reached over HTTPS). Checked in both modes, on every cookie the service sets (the
// trusted-device cookie too).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PRE_SESSION_COOKIE } from '../../src/middleware/csrf/index.ts';
import { DEVICE_COOKIE, SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { parseSetCookies } from '../support/client.ts';
import {
  browserFor,
  codeNow,
  enableTOTP,
  logIn,
  logOut,
  PASSWORD,
  signUp,
  uniqueEmail,
} from '../support/flows.ts';

const apps: TestApp[] = [];
after(() => Promise.all(apps.map((t) => t.close())));

const MODES = [
  { name: 'plain HTTP', env: { TWOFA_PUBLIC_URL: 'http://twofa.test' }, secure: false },
  { name: 'HTTPS public URL', env: { TWOFA_PUBLIC_URL: 'https://twofa.test' }, secure: true },
  {
    name: 'behind a TLS proxy',
    env: { TWOFA_PUBLIC_URL: 'http://twofa.test', TWOFA_BEHIND_TLS_PROXY: '1' },
    secure: true,
  },
] as const;

for (const mode of MODES) {
  const prefix = mode.secure ? '__Host-' : '';

  test(`${mode.name}: session and pre-session cookies carry the right flags`, async () => {
    const t = await makeTestApp({ env: mode.env });
    apps.push(t);
    const b = browserFor(t);
    const form = await b.get('/signup');
    const email = uniqueEmail();
    assert.equal((await b.post('/signup', { email, password: PASSWORD })).status, 200);
    const created = await b.post('/login', { email, password: PASSWORD });
    assert.equal(created.status, 303);
    const all = parseSetCookies([...form.setCookies, ...created.setCookies]);
    const names = [...all.keys()].sort();
    assert.deepEqual(names, [`${prefix}${PRE_SESSION_COOKIE}`, `${prefix}${SESSION_COOKIE}`].sort());
    for (const [name, cookie] of all) {
      assert.equal(cookie.attributes.get('httponly'), true, `${name} HttpOnly`);
      assert.equal(cookie.attributes.get('samesite'), 'Lax', `${name} SameSite=Lax`);
      assert.equal(cookie.attributes.get('path'), '/', `${name} Path=/`);
      assert.equal(cookie.attributes.has('domain'), false, `${name} has no Domain`);
      assert.equal(cookie.attributes.get('secure'), mode.secure ? true : undefined, `${name} Secure`);
      assert.match(cookie.value, /^[A-Za-z0-9_-]{43,}$/, `${name} is a long random value`);
    }
    const session = all.get(`${prefix}${SESSION_COOKIE}`)!;
    assert.ok(!created.body.includes(session.value), 'the session token is never in a page');
  });

  test(`${mode.name}: logout deletes the cookie under the same name and attributes (or browsers keep it)`, async () => {
    const t = await makeTestApp({ env: mode.env });
    apps.push(t);
    const b = browserFor(t);
    await b.get('/signup');
    await b.post('/signup', { email: uniqueEmail(), password: PASSWORD });
    await b.get('/');
    const res = await b.post('/logout');
    const cleared = parseSetCookies(res.setCookies).get(`${prefix}${SESSION_COOKIE}`);
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.equal(cleared.attributes.get('max-age'), '0');
    assert.equal(cleared.attributes.get('path'), '/');
    assert.equal(cleared.attributes.get('secure'), mode.secure ? true : undefined);
  });

  test(`${mode.name}: the trusted-device cookie carries the same flags and a Max-Age of 30 days`, async () => {
    const t = await makeTestApp({ env: mode.env });
    apps.push(t);
    const b = browserFor(t);
    const email = uniqueEmail();
    await signUp(b, email);
    const secret = await enableTOTP(b, t.clock);
    await logOut(b);
    t.clock.advance(30_000);
    await logIn(b, email);
    await b.get('/login/code');
    const done = await b.post('/login/code', { code: codeNow(secret, t.clock), rememberDevice: 'yes' });
    assert.equal(done.status, 303);
    const device = parseSetCookies(done.setCookies).get(`${prefix}${DEVICE_COOKIE}`);
    assert.ok(device, 'set under the prefixed name');
    assert.equal(device.attributes.get('httponly'), true);
    assert.equal(device.attributes.get('samesite'), 'Lax');
    assert.equal(device.attributes.get('path'), '/');
    assert.equal(device.attributes.has('domain'), false);
    assert.equal(device.attributes.get('secure'), mode.secure ? true : undefined);
    assert.equal(device.attributes.get('max-age'), String(30 * 24 * 60 * 60));
    assert.match(device.value, /^[A-Za-z0-9_-]{43,}$/);
    assert.ok(!done.body.includes(device.value) && !(done.location ?? '').includes(device.value));
  });

  test(`${mode.name}: HSTS ${mode.secure ? 'sent over HTTPS' : 'not sent'}`, async () => {
    const t = await makeTestApp({ env: mode.env });
    apps.push(t);
    // Behind a proxy the request says it came over HTTPS; with an https: public URL it always did.
    const res = await t.app.request('/', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(res.headers.has('strict-transport-security'), mode.secure);
  });
}

test('HTTPS mode: a session cookie without the __Host- prefix (planted over HTTP) is not a session', async () => {
  const t = await makeTestApp({ env: { TWOFA_PUBLIC_URL: 'https://twofa.test' } });
  apps.push(t);
  const b = browserFor(t);
  await b.get('/signup');
  await b.post('/signup', { email: uniqueEmail(), password: PASSWORD });
  const token = b.cookie(`__Host-${SESSION_COOKIE}`)!;
  const planted = await t.app.request('/security', { headers: { Cookie: `${SESSION_COOKIE}=${token}` } });
  assert.equal(planted.status, 303);
  assert.equal(planted.headers.get('location'), '/login');
});
