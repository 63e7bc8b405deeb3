// Threat: one client spraying passwords across many accounts (every email's own limit stays untouched) or
// flooding the code and message routes. Each client address (an IPv6 client by its /64) gets a budget of form
// posts a minute on the routes that guess or send, counted in the database (every instance shares it); beyond
// it, 429 with Retry-After and a page that says so, before any password or code is checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientGroup } from '../../src/client-address.ts';
import { openDatabase } from '../../src/store/open.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import { browserFor, logIn, uniqueEmail } from '../support/flows.ts';

const BUDGET = 5;

test('IPv6 clients are grouped by their /64; IPv4 (mapped too) by the address', () => {
  assert.equal(clientGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientGroup('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(clientGroup('2001:db8:1:3::1'), '2001:db8:1:3::/64');
  assert.equal(clientGroup('::1'), '0:0:0:0::/64');
  assert.equal(clientGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientGroup('::ffff:192.0.2.1'), '192.0.2.1');
  // The same mapped address in hex (as some proxies write it) is that IPv4 client too, not the /64 of every
  // IPv4 client at once (::ffff:0:0/96 lies in 0:0:0:0::/64, which would give them all one budget).
  assert.equal(clientGroup('::ffff:c000:201'), '192.0.2.1');
  assert.equal(clientGroup('0:0:0:0:0:FFFF:C633:6407'), '198.51.100.7');
  assert.equal(clientGroup('192.0.2.1'), '192.0.2.1');
  assert.equal(clientGroup('not an address'), undefined);
  assert.equal(clientGroup(null), undefined);
});

for (const dialect of DIALECTS) {
  describe(`per-client request budget (${dialect.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await makeTestApp({ dialect, env: { TWOFA_CLIENT_REQUESTS_PER_MINUTE: String(BUDGET) } });
    });
    after(() => t.close());

    /** A browser at `peer` that tries a wrong password for a new email `n` times; the statuses. */
    async function spray(peer: string, n: number): Promise<number[]> {
      const b = browserFor(t);
      b.peer = peer;
      await b.get('/login');
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        statuses.push(
          (await b.post('/login', { email: uniqueEmail('spray'), password: 'wrong password' })).status,
        );
      }
      return statuses;
    }

    test('one address: the budget, then 429 with Retry-After and a page that says why', async () => {
      const b = browserFor(t);
      b.peer = '198.51.100.7';
      await b.get('/login');
      for (let i = 0; i < BUDGET; i++) {
        const page = await b.post('/login', { email: uniqueEmail('spray'), password: 'wrong password' });
        assert.equal(page.status, 401, `attempt ${i + 1} was checked`);
      }
      const refused = await b.post('/login', { email: uniqueEmail('spray'), password: 'wrong password' });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '60');
      assert.match(refused.body, /Too many requests from your network/);
      // GETs are not counted: the login page still shows.
      assert.equal((await b.get('/login')).status, 200);
      // Every budgeted route is refused, not only the one that spent it.
      assert.equal((await b.post('/signup', { email: uniqueEmail(), password: 'x'.repeat(12) })).status, 429);
      assert.equal((await b.post('/password/forgot', { email: uniqueEmail() })).status, 429);
      // A minute later the window is over.
      t.clock.advance(60_000);
      assert.equal(
        (await b.post('/login', { email: uniqueEmail(), password: 'wrong password' })).status,
        401,
      );
    });

    test('another address has its own budget', async () => {
      assert.deepEqual(await spray('198.51.100.20', BUDGET + 1), [401, 401, 401, 401, 401, 429]);
      assert.deepEqual(await spray('198.51.100.21', 1), [401]);
    });

    test('IPv6: addresses in one /64 share a budget, another /64 has its own', async () => {
      assert.deepEqual(await spray('2001:db8:aa:1::1', 3), [401, 401, 401]);
      // A different address in the same /64 (an attacker rotating addresses): the same budget.
      assert.deepEqual(await spray('2001:db8:aa:1:ffff:1234:5678:9abc', 3), [401, 401, 429]);
      assert.deepEqual(await spray('2001:db8:aa:2::1', 1), [401]);
    });

    test('the code step is counted too', async () => {
      const b = browserFor(t);
      b.peer = '198.51.100.30';
      const email = uniqueEmail();
      await logIn(b, email, 'wrong password'); // 1
      for (let i = 0; i < BUDGET - 1; i++) await b.post('/login/code', { code: '000000' });
      assert.equal((await b.post('/login/code', { code: '000000' })).status, 429);
      assert.equal((await b.post('/login/recovery', { code: 'x' })).status, 429);
    });

    test('every route that guesses or sends is refused once the budget is spent (the hardware token too)', async () => {
      const b = browserFor(t);
      b.peer = '198.51.100.31';
      await logIn(b, uniqueEmail(), 'wrong password'); // 1
      for (let i = 0; i < BUDGET - 1; i++) await b.post('/login/code', { code: '000000' });
      const guessing = [
        '/signup',
        '/login',
        '/login/code',
        '/login/recovery',
        '/login/token',
        '/login/token/resync',
        '/login/email',
        '/login/sms',
        '/login/email/send',
        '/login/sms/send',
        '/login/account-recovery',
        '/password/forgot',
        '/password/reset/send',
        '/password/reset',
      ];
      for (const path of guessing) {
        assert.equal((await b.post(path, { code: '000000' })).status, 429, `POST ${path} is counted`);
      }
    });

    test("another site's page cannot spend its visitors' budget (cross-site posts are refused, not counted)", async () => {
      // A page anywhere that its visitors open posts hidden forms here from their browsers: the origin check
      // refuses them (403) before any handler, so they must not count against the visitor's network either.
      const visitor = browserFor(t);
      visitor.peer = '198.51.100.32';
      await visitor.get('/login');
      for (let i = 0; i < BUDGET + 2; i++) {
        const page = await visitor.post(
          '/login',
          { email: uniqueEmail(), password: 'wrong password' },
          { origin: 'https://evil.example' },
        );
        assert.equal(page.status, 403);
      }
      assert.deepEqual(await spray('198.51.100.32', BUDGET + 1), [401, 401, 401, 401, 401, 429]);
    });

    test('ended windows go with the periodic purge', async () => {
      const { db } = openDatabase(t.config);
      try {
        const rows = () =>
          db
            .selectFrom('login_throttle')
            .select('email_key')
            .where('email_key', '=', 'client:198.51.100.40')
            .execute();
        assert.deepEqual(await spray('198.51.100.40', 1), [401]);
        assert.equal((await rows()).length, 1);
        t.clock.advance(16 * 60_000);
        await t.services.purgeExpired();
        assert.equal((await rows()).length, 0);
      } finally {
        await db.destroy();
      }
    });

    test('two instances on one database share one budget', {
      skip: dialect.name === 'postgres' ? false : 'SQLite runs one instance; several need PostgreSQL',
    }, async () => {
      const other = await makeTestApp({ dialect, config: t.config, clock: t.clock });
      try {
        const peer = '198.51.100.60';
        const statuses: number[] = [];
        for (const app of [t, other, t, other, t, other]) {
          const b = browserFor(app);
          b.peer = peer;
          await b.get('/login');
          statuses.push(
            (await b.post('/login', { email: uniqueEmail(), password: 'wrong password' })).status,
          );
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      } finally {
        await other.close();
      }
    });
  });
}

test('TWOFA_CLIENT_REQUESTS_PER_MINUTE=0 turns the budget off (behind a proxy that limits instead)', async () => {
  const t = await makeTestApp({ env: { TWOFA_CLIENT_REQUESTS_PER_MINUTE: '0' } });
  try {
    const b = browserFor(t);
    b.peer = '198.51.100.90';
    await b.get('/login');
    for (let i = 0; i < 40; i++) {
      const page = await b.post('/login', { email: uniqueEmail('off'), password: 'wrong password' });
      assert.equal(page.status, 401, `post ${i + 1}`);
    }
  } finally {
    await t.close();
  }
});
