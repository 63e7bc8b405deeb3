// Threat: a login storm turning the owner's own retries into a lock-out. On a trusted device a password
// attempt is counted against the device before it is checked (the device stands in for the email's limit).
// When the check then never runs (the password pool stays full past its wait: BUSY, or the database fails),
// the attempt must be given back like the email's slot is; otherwise an owner who retries through a storm
// uses up the device's attempts without a single password checked, the device stops counting as trusted, and
// the email's limit (which anyone can fill) is all that is left: the owner is locked out. Every dialect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PasswordHasher } from '../../src/crypto/passwords.ts';
import { MAX_DEVICE_PASSWORD_FAILURES, MAX_PASSWORD_FAILURES } from '../../src/services/limits.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import { accountWithRememberedDevice, browserFor, logIn, uniqueEmail } from '../support/flows.ts';
import { TEST_PASSWORD_HASHER } from '../support/passwords.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

for (const dialect of DIALECTS) {
  describe(`a trusted device's sign-in refused BUSY spends none of its attempts (${dialect.name})`, () => {
    let t: TestApp;
    // verify waits while the gate is closed (one sign-in holds the pool's only thread).
    let gate: Promise<void> = Promise.resolve();
    let openGate = () => {};
    let verifies = 0;
    const hasher: PasswordHasher = {
      ...TEST_PASSWORD_HASHER,
      async verify(password, phc) {
        verifies += 1;
        await gate;
        return TEST_PASSWORD_HASHER.verify(password, phc);
      },
    };
    // The queue's waits, fired by the test (a wait that ran out: BUSY).
    const waits: (() => void)[] = [];

    before(async () => {
      t = await makeTestApp({
        dialect,
        passwordHasher: hasher,
        passwordPool: {
          concurrency: 1,
          maxQueue: 1,
          schedule: (fn) => {
            waits.push(fn);
            return () => {};
          },
        },
      });
    });
    after(() => t.close());

    test('the owner retries through a storm, then signs in on the device although the email is limited', async () => {
      const { email, secret, owner } = await accountWithRememberedDevice(t, 'busy');

      // A storm: one sign-in holds the pool's thread; each of the owner's tries waits in the queue and runs
      // out of time (BUSY) without its password being checked.
      gate = new Promise((resolve) => {
        openGate = resolve;
      });
      const storm = browserFor(t);
      await storm.get('/login');
      const before = verifies;
      const holding = storm.post('/login', { email: uniqueEmail('storm'), password: 'pw' });
      while (verifies === before) await tick();
      for (let i = 0; i < MAX_DEVICE_PASSWORD_FAILURES + 2; i++) {
        const waiting = waits.length;
        const attempt = logIn(owner, email);
        while (waits.length === waiting) await tick();
        waits[waiting]!();
        assert.equal((await attempt).status, 503, `try ${i + 1} is BUSY`);
      }
      assert.equal(verifies, before + 1, 'none of the owner’s passwords was checked');
      openGate();
      assert.equal((await holding).status, 401);

      // Meanwhile someone used up the email's limit from elsewhere.
      const elsewhere = browserFor(t);
      for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) await logIn(elsewhere, email, 'wrong guess');
      assert.equal((await logIn(elsewhere, email, 'wrong guess')).status, 429);

      // The storm is over: the device still stands in for the email's limit and the code.
      const back = await logIn(owner, email);
      assert.equal(back.location, '/', `the device is still trusted (got ${back.status})`);
    });
  });
}
