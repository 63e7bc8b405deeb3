/**
 * Threat: an old master key retired while API keys are still hashed under it. An API key's secret is stored
 * only as an HMAC under a subkey of the master key current when it was made (or last used): it cannot be
 * re-hashed by a rotation, only on the key's next use. Retiring that master key would make every API key
 * not used since the rotation stop working, silently, for the apps that call with it. Retirement must refuse
 * while an unrevoked API key needs the key, name how many, and say what the operator can do. And an instance
 * that has not yet seen the rotation must not move a key back under the old master key (which would keep
 * the old key needed, or, retired meanwhile, lock the app out).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ConfigError } from '../../src/config.ts';
import { operatorMessage } from '../../src/outcomes.ts';
import { openOperator } from '../../src/services/operator.ts';
import { ServiceError } from '../../src/services/types.ts';
import { makeApiTestApp } from '../support/api.ts';
import { DIALECTS, openStaleInstance, operatorEnv, randomMasterKey } from '../support/dialects.ts';

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of toClose.splice(0).reverse()) await item.close();
});

for (const dialect of DIALECTS) {
  describe(`retiring a master key API keys are hashed under (${dialect.name})`, () => {
    test('refused while an unrevoked API key needs it; allowed once the key has been used (or revoked)', async () => {
      const keys = `${randomMasterKey('old')},${randomMasterKey('new')}`;
      const first = await makeApiTestApp({ dialect, env: { TWOFA_MASTER_KEY: keys } });
      const unused = first.key;
      const revoked = await first.makeKey();
      await first.services.apiKeys.revoke(revoked.split('_')[1]!);
      await first.close();
      const operator = await openOperator({ env: operatorEnv(first.config) });
      toClose.push(operator);
      const report = await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      assert.equal(report.finished, true);
      assert.equal(report.apiKeysUnderOtherKeys, 1, 'the rotation says an API key still needs the old key');
      const inUse = (await operator.keyStatus()).keysInUse.find((entry) => entry.keyId === 'old');
      assert.equal(inUse?.apiKeys, 1, 'status counts the unrevoked API key, not the revoked one');

      const refused = await assert.rejects(operator.retireKey('old'), (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(error.code, 'KEY_IN_USE');
        assert.equal(error.inUse?.apiKeys, 1);
        const message = operatorMessage(error);
        assert.match(message, /1 API keys?/);
        assert.match(message, /revoke/);
        return true;
      });
      assert.equal(refused, undefined);

      // The key's next use moves it to the new master key: then nothing needs the old one.
      const app = await makeApiTestApp({ config: first.config });
      toClose.push(app);
      assert.equal((await app.call('GET', '/api/v1/subjects/x/factors', { key: unused })).status, 404);
      await app.close();
      toClose.pop();
      await operator.retireKey('old');

      const after = await makeApiTestApp({ config: { ...first.config, masterKey: keys.split(',')[1]! } });
      toClose.push(after);
      assert.equal(
        (await after.call('GET', '/api/v1/subjects/x/factors', { key: unused })).status,
        404,
        'the API key works without the retired key',
      );
    });

    test('an instance that has not seen the rotation never moves an API key back under the old key', async () => {
      const keys = `${randomMasterKey('old')},${randomMasterKey('new')}`;
      const config = await dialect.makeConfig({ TWOFA_MASTER_KEY: keys });
      const open = async () => {
        const services = await openStaleInstance(config);
        toClose.push(services);
        return services;
      };
      const stale = await open();
      const { token } = await stale.apiKeys.create({ name: 'app', tenant: 'acme', scopes: ['verify'] });
      const operator = await openOperator({ env: operatorEnv(config) });
      toClose.push(operator);
      await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      const fresh = await open();
      await fresh.apiKeys.authenticate(token);
      const underOld = async () =>
        (await operator.keyStatus()).keysInUse.find((entry) => entry.keyId === 'old')?.apiKeys ?? 0;
      assert.equal(await underOld(), 0, 'moved to the new key on its use');
      await stale.apiKeys.authenticate(token);
      assert.equal(await underOld(), 0, 'the stale instance left it under the new key');
      await operator.retireKey('old');
    });

    if (dialect.name === 'sqlite') {
      test('a key made under a rotated-in key works at once on an instance that has not yet read it', async () => {
        // The key file: rotate-key adds the new key to it; an instance re-reads the file when it meets a key id
        // it lacks (a sealed secret, and an API key hashed under it) rather than refusing the app for seconds.
        const config = await dialect.makeConfig({});
        const stale = await openStaleInstance(config);
        toClose.push(stale);
        const operator = await openOperator({ env: operatorEnv(config) });
        toClose.push(operator);
        await operator.rotateKey({ propagationMs: 0 });
        // As twofa admin api-key create would, in its own process after rotate-key.
        const another = await openOperator({ env: operatorEnv(config) });
        toClose.push(another);
        const { token, key } = await another.createApiKey({
          name: 'new',
          tenant: 'acme',
          scopes: ['verify'],
        });
        assert.equal((await stale.apiKeys.authenticate(token)).keyId, key.id);
      });
    }

    test('an operator session that rotated the key makes new API keys under the new key', async () => {
      const config = await dialect.makeConfig({
        TWOFA_MASTER_KEY: `${randomMasterKey('old')},${randomMasterKey('new')}`,
      });
      await (await openStaleInstance(config)).close();
      const operator = await openOperator({ env: operatorEnv(config) });
      toClose.push(operator);
      await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      await operator.createApiKey({ name: 'after', tenant: 'acme', scopes: ['verify'] });
      const inUse = (await operator.keyStatus()).keysInUse;
      assert.deepEqual(
        inUse.map((entry) => [entry.keyId, entry.apiKeys]),
        [['new', 1]],
        'nothing new keeps the old key needed',
      );
      await operator.retireKey('old');
    });

    test('a service started without the master key an unrevoked API key needs refuses to start', async () => {
      // The key dropped from TWOFA_MASTER_KEY by hand, without rotate-key --retire: the calling app would be
      // locked out from then on, with nothing in any log. Refused at start, as for recovery codes.
      const oldKey = randomMasterKey('old');
      const newKey = randomMasterKey('new');
      const first = await makeApiTestApp({ dialect, env: { TWOFA_MASTER_KEY: `${oldKey},${newKey}` } });
      const prefix = first.key.split('_')[1]!;
      await first.close();
      const operator = await openOperator({ env: operatorEnv(first.config) });
      toClose.push(operator);
      await operator.rotateKey({ toKeyId: 'new', propagationMs: 0 });
      const newOnly = { ...first.config, masterKey: newKey };
      await assert.rejects(openStaleInstance(newOnly), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /lacks key id\(s\) old that 1 unrevoked API key/);
        assert.match(error.message, /revoke/);
        return true;
      });
      await operator.revokeApiKey(prefix);
      await (await openStaleInstance(newOnly)).close();
    });
  });
}
