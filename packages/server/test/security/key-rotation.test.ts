/**
 * Threat: a key rotation that locks users out or quietly undoes itself. While `rotate-key` runs, instances
 * that have not yet seen the new current key must still open secrets another instance sealed under it, and
 * must never seal one back under the old key (which would keep the old key needed for ever); an instance
 * started without the key the database names current must refuse to start rather than fail sign-ins. Phone
 * numbers are sealed under the master key too: a rotation must move them, and retiring a key one still
 * needs must be refused (or the number could never be read again).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { encodeBase32, generateHOTP } from '@twofa/otp';
import { ConfigError } from '../../src/config.ts';
import { parseKeyring, phoneContext, sealSecret } from '../../src/crypto/secret-box.ts';
import { openServices } from '../../src/services/index.ts';
import { openOperator } from '../../src/services/operator.ts';
import type { Services } from '../../src/services/types.ts';
import { ServiceError } from '../../src/services/types.ts';
import { openDatabase } from '../../src/store/open.ts';
import { updateSealedSecret } from '../../src/store/totp-credentials-repo.ts';
import {
  codeAt,
  DIALECTS,
  makeClock,
  openStaleInstance,
  operatorEnv,
  randomMasterKey,
  serveEnv,
  signUpWithTotp,
  type TestClock,
} from '../support/dialects.ts';
import { TEST_PASSWORD_HASHER } from '../support/passwords.ts';

const PASSWORD = 'correct horse battery';
const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of toClose.splice(0).reverse()) await item.close();
});

for (const dialect of DIALECTS) {
  describe(`master key rotation on ${dialect.name}`, () => {
    test('an instance that has not seen the rotation opens new-key secrets and never seals back under the old key', async () => {
      const keys = `${randomMasterKey('old')},${randomMasterKey('new')}`;
      const config = await dialect.makeConfig({ TWOFA_MASTER_KEY: keys });
      const clock = makeClock(Math.floor(Date.now() / 30_000) * 30_000 + 1_000);
      // keyStatePollMs 0: these instances never re-read the current key on their own (a stale instance).
      const open = async (): Promise<Services> => {
        const services = await openStaleInstance(config, clock);
        toClose.push(services);
        return services;
      };
      const stale = await open();
      const user = await signUpWithTotp(stale, clock);
      const operator = await openOperator({ env: operatorEnv(config) });
      toClose.push(operator);
      const report = await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      assert.equal(report.resealed, 1);

      await signIn(stale, clock, user);
      const inUse = (await operator.keyStatus()).keysInUse;
      assert.deepEqual(
        inUse.map((entry) => [entry.keyId, entry.totpSecrets]),
        [
          ['new', 1],
          ['old', 0],
        ],
        'the stale instance read the secret and left it under the new key',
      );

      // The store refuses it outright too: a re-seal under any key but the database's current one changes nothing.
      const { db } = openDatabase(config);
      toClose.push({ close: () => db.destroy() });
      const row = await db.selectFrom('totp_credentials').selectAll().executeTakeFirstOrThrow();
      assert.equal(
        await updateSealedSecret(db, { id: row.id, fromKeyId: 'new', keyId: 'old', ciphertext: 'x' }),
        false,
      );
    });

    test('phone numbers are re-sealed under the new key; retiring a key a number still needs is refused', async () => {
      const keys = `${randomMasterKey('old')},${randomMasterKey('new')}`;
      const config = await dialect.makeConfig({ TWOFA_MASTER_KEY: keys });
      const clock = makeClock();
      const services = await openServices(config, {
        nowMs: clock.nowMs,
        passwordHasher: TEST_PASSWORD_HASHER,
        log: () => {},
        keyStatePollMs: 0,
      });
      toClose.push(services);
      const { session } = await services.accounts.signUp({ email: 'phone@example.com', password: PASSWORD });
      await services.phone.set({
        userId: session.userId,
        password: PASSWORD,
        code: '',
        phone: '+44 20 7946 0958',
      });
      const { db } = openDatabase(config);
      toClose.push({ close: () => db.destroy() });
      const phoneKeyOf = async (id: string) =>
        (await db.selectFrom('users').select('phone_key_id').where('id', '=', id).executeTakeFirstOrThrow())
          .phone_key_id;
      assert.equal(await phoneKeyOf(session.userId), 'old');

      const operator = await openOperator({ env: serveEnv(config) });
      toClose.push(operator);
      const report = await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      assert.equal(report.resealed, 1, 'the phone number was re-sealed');
      assert.equal(report.finished, true);
      assert.equal(await phoneKeyOf(session.userId), 'new');
      assert.equal((await services.accounts.getUser(session.userId))?.phone, '+442079460958');

      // A number still under the old key (an instance that had not seen the rotation, say): retire refuses.
      const stale = sealSecret(parseKeyring(keys), Buffer.from('+15550100'), phoneContext(session.userId));
      await db
        .updateTable('users')
        .set({ phone_key_id: stale.keyId, phone_ciphertext: stale.ciphertext })
        .where('id', '=', session.userId)
        .execute();
      await assert.rejects(
        operator.retireKey('old'),
        (error: unknown) =>
          error instanceof ServiceError && error.code === 'KEY_IN_USE' && error.inUse?.phoneNumbers === 1,
      );
      assert.deepEqual(
        (await operator.keyStatus()).keysInUse.find((entry) => entry.keyId === 'old'),
        { keyId: 'old', totpSecrets: 0, recoveryCodes: 0, phoneNumbers: 1, apiKeys: 0 },
      );
    });

    test('hardware-token secrets are re-sealed under the new key; their codes still work after', async () => {
      const keys = `${randomMasterKey('old')},${randomMasterKey('new')}`;
      const config = await dialect.makeConfig({ TWOFA_MASTER_KEY: keys });
      const clock = makeClock();
      const services = await openServices(config, {
        nowMs: clock.nowMs,
        passwordHasher: TEST_PASSWORD_HASHER,
        log: () => {},
        keyStatePollMs: 0,
      });
      toClose.push(services);
      const secret = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
      const code = (counter: number) => generateHOTP({ secret, counter });
      const email = 'token@example.com';
      const { session } = await services.accounts.signUp({ email, password: PASSWORD });
      await services.hardwareToken.register({
        userId: session.userId,
        password: PASSWORD,
        key: encodeBase32(secret),
        code: code(0),
        nextCode: code(1),
      });
      const { db } = openDatabase(config);
      toClose.push({ close: () => db.destroy() });
      const tokenKeyOf = async () =>
        (
          await db
            .selectFrom('hotp_credentials')
            .select('secret_key_id')
            .where('user_id', '=', session.userId)
            .executeTakeFirstOrThrow()
        ).secret_key_id;
      assert.equal(await tokenKeyOf(), 'old');
      const operator = await openOperator({ env: serveEnv(config) });
      toClose.push(operator);
      assert.equal(
        (await operator.keyStatus()).keysInUse.find((entry) => entry.keyId === 'old')?.totpSecrets,
        1,
        'the token secret counts as a secret under the old key',
      );
      const report = await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      assert.equal(report.resealed, 1, 'the token secret was re-sealed');
      assert.equal(report.finished, true);
      assert.equal(await tokenKeyOf(), 'new');
      // Nothing else needs the old key once the recovery codes (one-way hashes, never re-sealed) are gone:
      // retire it, and an instance holding only the new key opens the token's secret.
      await db.deleteFrom('recovery_codes').where('user_id', '=', session.userId).execute();
      await operator.retireKey('old');
      const onlyNew = await openServices(
        { ...config, masterKey: keys.split(',')[1]! },
        { nowMs: clock.nowMs, passwordHasher: TEST_PASSWORD_HASHER, log: () => {} },
      );
      toClose.push(onlyNew);
      const login = await onlyNew.auth.login({ email, password: PASSWORD });
      await onlyNew.auth.verifySecondFactor({
        pendingToken: login.issued.token,
        factor: 'hotp',
        code: code(2),
      });
    });

    test('an instance without the key the database names current refuses to start', async () => {
      const oldKey = randomMasterKey('old');
      const config = await dialect.makeConfig({ TWOFA_MASTER_KEY: `${oldKey},${randomMasterKey('new')}` });
      const first = await openServices(config, { passwordHasher: TEST_PASSWORD_HASHER, log: () => {} });
      await first.close();
      const operator = await openOperator({ env: operatorEnv(config) });
      await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      await operator.close();
      await assert.rejects(
        openServices(
          { ...config, masterKey: oldKey },
          { passwordHasher: TEST_PASSWORD_HASHER, log: () => {} },
        ),
        (error: unknown) =>
          error instanceof ConfigError &&
          /lacks key id 'new'.*rotate-key made the current key/.test(error.message),
      );
    });
  });
}

async function signIn(
  services: Services,
  clock: TestClock,
  user: { email: string; password: string; secret: Uint8Array },
): Promise<void> {
  const login = await services.auth.login({ email: user.email, password: user.password });
  assert.equal(login.kind, 'pending');
  await services.auth.verifySecondFactor({
    pendingToken: login.issued.token,
    code: codeAt(user.secret, clock.nowMs()),
  });
  clock.advance(30_000);
}
