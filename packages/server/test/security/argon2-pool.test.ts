// Threat: a login storm starving the service. argon2id is meant to be expensive; unbounded, a flood of password
// posts queues seconds of hashing on libuv's threadpool ahead of every real sign-in. The password pool runs at
// most `concurrency` hashes at once and lets at most `maxQueue` wait (each for at most `maxWaitMs`); beyond,
// BUSY: 503 with Retry-After, answered at once, before any argon2 work, and no password attempt counted.
// A fake slow hasher (held open by the test) stands in for argon2: no timing is asserted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import type { PasswordHasher } from '../../src/crypto/passwords.ts';
import { MAX_PASSWORD_FAILURES, openServices } from '../../src/services/index.ts';
import {
  boundedPasswordHasher,
  defaultConcurrency,
  threadpoolSize,
} from '../../src/services/password-pool.ts';
import type { Services } from '../../src/services/types.ts';
import { makeClock, PUBLIC_URL } from '../support/app.ts';
import { Browser, type Page } from '../support/client.ts';
import { DIALECTS } from '../support/dialects.ts';
import { uniqueEmail } from '../support/flows.ts';
import { TEST_PASSWORD_HASHER } from '../support/passwords.ts';

/** A hasher whose verify calls wait until the test opens the gate; counts the calls that reached it. */
function gatedHasher(): { hasher: PasswordHasher; calls: () => number; open: () => void; close: () => void } {
  let calls = 0;
  let gate: Promise<void> = Promise.resolve();
  let openGate = () => {};
  return {
    calls: () => calls,
    close: () => {
      gate = new Promise((resolve) => {
        openGate = resolve;
      });
    },
    open: () => openGate(),
    hasher: {
      ...TEST_PASSWORD_HASHER,
      async verify(password, phc) {
        calls += 1;
        await gate;
        return TEST_PASSWORD_HASHER.verify(password, phc);
      },
    },
  };
}

test('the pool runs `concurrency` at once, queues `maxQueue`, refuses the rest at once with BUSY', async () => {
  const gated = gatedHasher();
  gated.close();
  const pool = boundedPasswordHasher(gated.hasher, { concurrency: 2, maxQueue: 3, maxWaitMs: 60_000 });
  const phc = await TEST_PASSWORD_HASHER.hash('pw');
  const running = Array.from({ length: 5 }, () => pool.verify('pw', phc));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(pool.stats(), { running: 2, queued: 3 });
  assert.equal(gated.calls(), 2);
  await assert.rejects(pool.verify('pw', phc), { code: 'BUSY', retryAfterMs: 1000 });
  await assert.rejects(pool.hash('pw'), { code: 'BUSY' });
  assert.equal(gated.calls(), 2, 'a refused check never reached the hasher');
  gated.open();
  assert.deepEqual(await Promise.all(running), [true, true, true, true, true]);
  assert.deepEqual(pool.stats(), { running: 0, queued: 0 });
});

test('a check that waited its longest in the queue is refused with BUSY and leaves the queue', async () => {
  const gated = gatedHasher();
  gated.close();
  const timeouts: (() => void)[] = [];
  const pool = boundedPasswordHasher(gated.hasher, {
    concurrency: 1,
    maxQueue: 5,
    maxWaitMs: 2000,
    schedule: (fn) => {
      timeouts.push(fn);
      return () => {};
    },
  });
  const phc = await TEST_PASSWORD_HASHER.hash('pw');
  const first = pool.verify('pw', phc);
  const waiting = pool.verify('pw', phc);
  assert.equal(timeouts.length, 1);
  timeouts[0]!(); // its wait is over
  await assert.rejects(waiting, { code: 'BUSY' });
  assert.deepEqual(pool.stats(), { running: 1, queued: 0 });
  gated.open();
  assert.equal(await first, true);
  assert.equal(gated.calls(), 1);
});

test('a hasher that throws or rejects gives its thread back: the queue moves on and nothing leaks', async () => {
  const phc = await TEST_PASSWORD_HASHER.hash('pw');
  let gate: Promise<void> = Promise.resolve();
  let openGate = () => {};
  const pool = boundedPasswordHasher(
    {
      ...TEST_PASSWORD_HASHER,
      verify(password, stored) {
        // Not async: a synchronous throw (as a native binding may do), and a rejection after a wait.
        if (password === 'throw') throw new Error('argon2 failed');
        if (password === 'reject') return gate.then(() => Promise.reject(new Error('argon2 failed')));
        return TEST_PASSWORD_HASHER.verify(password, stored);
      },
      hash() {
        throw new Error('argon2 failed');
      },
    },
    { concurrency: 1, maxQueue: 1, maxWaitMs: 60_000 },
  );
  await assert.rejects(pool.verify('throw', phc), /argon2 failed/);
  await assert.rejects(pool.hash('pw'), /argon2 failed/);
  assert.deepEqual(pool.stats(), { running: 0, queued: 0 });
  gate = new Promise((resolve) => {
    openGate = resolve;
  });
  const failing = pool.verify('reject', phc);
  const queued = pool.verify('pw', phc);
  assert.deepEqual(pool.stats(), { running: 1, queued: 1 });
  openGate();
  await assert.rejects(failing, /argon2 failed/);
  assert.equal(await queued, true, 'the waiting check ran once the failed one gave its thread back');
  assert.deepEqual(pool.stats(), { running: 0, queued: 0 });
  pool.admitOrThrow();
});

test('the default concurrency: the libuv threadpool size, leaving one core to the event loop', () => {
  assert.equal(threadpoolSize({}), 4);
  assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
  assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: 'lots' }), 4);
  assert.equal(defaultConcurrency({}, 2), 1);
  assert.equal(defaultConcurrency({}, 1), 1);
  assert.equal(defaultConcurrency({}, 8), 4);
  assert.equal(defaultConcurrency({ UV_THREADPOOL_SIZE: '16' }, 8), 7);
});

test('admitOrThrow: BUSY exactly when a hash asked for now would be refused', async () => {
  const gated = gatedHasher();
  gated.close();
  const pool = boundedPasswordHasher(gated.hasher, { concurrency: 1, maxQueue: 1, maxWaitMs: 60_000 });
  const phc = await TEST_PASSWORD_HASHER.hash('pw');
  pool.admitOrThrow();
  const first = pool.verify('pw', phc);
  pool.admitOrThrow(); // the queue has room
  const second = pool.verify('pw', phc);
  assert.throws(() => pool.admitOrThrow(), { code: 'BUSY' });
  gated.open();
  await Promise.all([first, second]);
  pool.admitOrThrow();
});

for (const dialect of DIALECTS) {
  describe(`a full password pool through the login page (${dialect.name})`, () => {
    let services: Services;
    const gated = gatedHasher(); // its own per dialect: calls() counts this app's checks only
    let browser: () => Browser;

    before(async () => {
      const config = await dialect.makeConfig({ TWOFA_PUBLIC_URL: PUBLIC_URL });
      const clock = makeClock();
      services = await openServices(config, {
        nowMs: clock.now,
        log: () => {},
        passwordHasher: gated.hasher,
        passwordPool: { concurrency: 1, maxQueue: 0, maxWaitMs: 60_000 },
      });
      const app = createApp({ config, services, log: () => {}, nowMs: clock.now });
      browser = () => new Browser(app, new URL(PUBLIC_URL).origin);
    });
    after(() => services.close());

    /**
     * Starts a sign-in whose argon2 run holds the (closed) gate; resolves once it is inside, with its answer
     * still pending (wrapped: an async function returning the promise itself would wait for it).
     */
    async function holdPool(): Promise<{ holding: Promise<Page> }> {
      const held = browser();
      await held.get('/login');
      const callsBefore = gated.calls();
      const holding = held.post('/login', { email: uniqueEmail('held'), password: 'pw' });
      while (gated.calls() === callsBefore) await new Promise((resolve) => setImmediate(resolve));
      return { holding };
    }

    test('a full pool starves nothing else: pages, the health check and code posts are answered', async () => {
      gated.close();
      const { holding } = await holdPool();
      try {
        const b = browser();
        assert.equal((await b.get('/login')).status, 200);
        assert.equal((await b.get('/healthz')).status, 200);
        // A code post runs no argon2: not refused BUSY (no pending sign-in here: back to the password step).
        const code = await b.post('/login/code', { code: '123456' });
        assert.equal(code.status, 303);
        assert.equal((await b.post('/login', { email: uniqueEmail(), password: 'pw' })).status, 503);
      } finally {
        gated.open();
      }
      assert.equal((await holding).status, 401);
    });

    test('503 with Retry-After, at once, no argon2 work and no attempt counted', async () => {
      const email = uniqueEmail();
      gated.close();
      // One sign-in holds the pool (one thread, no queue).
      const { holding } = await holdPool();
      const callsHeld = gated.calls();

      const b = browser();
      await b.get('/login');
      const refused = await b.post('/login', { email, password: 'wrong password' });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(refused.body, /busy checking other sign-ins/);
      // Refused before the form is read (the cheapest refusal in a storm): not even the CSRF token is checked.
      const unread = await browser().post('/login', { email, password: 'x' }, { csrf: null });
      assert.equal(unread.status, 503);
      // Sign-up hashes too: refused the same way.
      await b.get('/signup');
      const signUp = await b.post('/signup', { email: uniqueEmail(), password: 'x'.repeat(12) });
      assert.equal(signUp.status, 503);
      assert.equal(signUp.headers.get('retry-after'), '1');
      assert.equal(gated.calls(), callsHeld, 'no argon2 work for the refused sign-in');

      gated.open();
      assert.equal((await holding).status, 401);
      // The refusal spent none of the email's attempts: all of them are still checked.
      for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) {
        assert.equal(
          (await b.post('/login', { email, password: `wrong ${i}` })).status,
          401,
          `attempt ${i + 1}`,
        );
      }
      assert.equal((await b.post('/login', { email, password: 'wrong again' })).status, 429);
    });
  });
}
