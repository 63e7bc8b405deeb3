/**
 * Opening the services: migrations, the master key (generated into the data dir for SQLite, required for
 * PostgreSQL), refusals that protect stored secrets, and the health check.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { masterKeyPath, openServices } from '../src/services/index.ts';
import { codeAt, DIALECTS, makeClock, signUpWithTotp } from './support/dialects.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-open-'));
  dirs.push(dir);
  return join(dir, 'nested', 'data');
}

describe('master key for SQLite', () => {
  test('generated once into the data dir with mode 0600, announced in one log line without the key', async () => {
    const dataDir = await freshDataDir();
    const config = loadConfig({ TWOFA_DATA_DIR: dataDir });
    const lines: string[] = [];
    const clock = makeClock();
    let services = await openServices(config, { nowMs: clock.nowMs, log: (line) => lines.push(line) });
    const path = masterKeyPath(dataDir);
    const key = (await readFile(path, 'utf8')).trim();
    assert.equal(Buffer.from(key, 'base64').length, 32);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const announcements = lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'master_key.created');
    assert.equal(announcements.length, 1);
    assert.match(announcements[0].message, /back/i);
    assert.equal(announcements[0].path, path);
    assert.ok(!lines.join('\n').includes(key), 'the key is not logged');
    const user = await signUpWithTotp(services, clock);
    await services.close();

    // Reopening reuses the key: the stored secret still opens, and nothing new is generated.
    lines.length = 0;
    services = await openServices(config, { nowMs: clock.nowMs, log: (line) => lines.push(line) });
    assert.equal((await readFile(path, 'utf8')).trim(), key);
    assert.equal(lines.filter((l) => l.includes('master_key.created')).length, 0);
    const { issued } = await services.auth.login({ email: user.email, password: user.password });
    await services.auth.verifySecondFactor({
      pendingToken: issued.token,
      code: codeAt(user.secret, clock.nowMs()),
    });
    await services.close();

    // A group-readable key file is refused.
    await chmod(path, 0o640);
    await assert.rejects(openServices(config, { log: () => {} }), /chmod 600/);
    await chmod(path, 0o600);

    // Losing the key file while secrets are stored: refuse, rather than generate a key that opens nothing.
    await rm(path);
    await assert.rejects(openServices(config, { log: () => {} }), /master\.key is missing/);
    await assert.rejects(stat(path), 'no new key was written');
  });

  test('TWOFA_MASTER_KEY, when set, is used instead of a file', async () => {
    const dataDir = await freshDataDir();
    const config = loadConfig({
      TWOFA_DATA_DIR: dataDir,
      TWOFA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    const services = await openServices(config, { log: () => {} });
    await services.close();
    await assert.rejects(stat(masterKeyPath(dataDir)));
  });
});

test('PostgreSQL without TWOFA_MASTER_KEY refuses to start (before connecting)', async () => {
  const config = loadConfig({ TWOFA_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  await assert.rejects(openServices(config, { log: () => {} }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.variable, 'TWOFA_MASTER_KEY');
    return true;
  });
});

for (const dialect of DIALECTS) {
  describe(`opening on ${dialect.name}`, () => {
    test('health answers SELECT 1, and says so when the database is gone', async () => {
      const lines: string[] = [];
      const services = await openServices(await dialect.makeConfig(), { log: (line) => lines.push(line) });
      assert.deepEqual(await services.health.check(), { ok: true, database: dialect.name });
      await services.close();
      const down = await services.health.check();
      assert.equal(down.ok, false);
      assert.equal(down.database, dialect.name);
      assert.equal(down.error, 'the database did not answer');
      assert.ok(lines.some((l) => l.includes('health.database_error')));
    });

    test('migrations are logged once; reopening applies none', async () => {
      const config = await dialect.makeConfig();
      const first: string[] = [];
      await (await openServices(config, { log: (l) => first.push(l) })).close();
      const second: string[] = [];
      await (await openServices(config, { log: (l) => second.push(l) })).close();
      assert.equal(first.filter((l) => l.includes('database.migrated')).length, 1);
      assert.equal(second.filter((l) => l.includes('database.migrated')).length, 0);
    });

    if (dialect.name === 'postgres') {
      test('five instances starting at once on a fresh database all open', async () => {
        const config = await dialect.makeConfig();
        const lines: string[] = [];
        const all = await Promise.all(
          Array.from({ length: 5 }, () => openServices(config, { log: (l) => lines.push(l) })),
        );
        assert.equal(lines.filter((l) => l.includes('database.migrated')).length, 1);
        for (const services of all) assert.equal((await services.health.check()).ok, true);
        await Promise.all(all.map((s) => s.close()));
      });
    }
  });
}
