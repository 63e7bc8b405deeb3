/**
 * twofa admin rotate-key, on SQLite and (with TWOFA_TEST_PG_URL) PostgreSQL. Threats covered: a rotation
 * that crashes half-way leaving secrets nobody can open (it is killed after N batches, resumed, and every
 * secret opens under the new key); an outage during the rotation (a running instance keeps signing users in,
 * whichever key their secret is under at that moment, and never seals one back under the old key); an old
 * key dropped while something still needs it (retire refuses; after it, the service starts and signs in
 * with the new key alone); a key made current that a running instance does not hold (refused).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { Config } from '../../../server/src/config.ts';
import { loadConfig } from '../../../server/src/config.ts';
import { openServices } from '../../../server/src/services/index.ts';
import type { Services } from '../../../server/src/services/types.ts';
import {
  codeAt,
  DIALECTS,
  randomMasterKey,
  signUpWithTotp,
  type TestClock,
} from '../../../server/test/support/dialects.ts';
import { TEST_PASSWORD_HASHER } from '../../../server/test/support/passwords.ts';
import { type AdminDatabase, admin, adminDatabase, serveEnv } from '../support/admin.ts';
import { BIN } from '../support/cli.ts';

const toClose: { close(): Promise<void> }[] = [];
// Each test's instances close when it ends: PostgreSQL's connections are shared with other suites.
afterEach(async () => {
  for (const item of toClose.splice(0).reverse()) await item.close();
});

interface Account {
  email: string;
  password: string;
  userId: string;
  secret: Uint8Array;
}

/** A running instance of the service on `config`: polls the key state often (so tests wait little). */
async function runningInstance(config: Config, clock: TestClock): Promise<Services> {
  const services = await openServices(config, {
    nowMs: clock.nowMs,
    passwordHasher: TEST_PASSWORD_HASHER,
    log: () => {},
    keyStatePollMs: 25,
  });
  toClose.push(services);
  return services;
}

/** Signs in with password and a code from the app; the clock then moves past the step used. */
async function signIn(services: Services, clock: TestClock, account: Account): Promise<void> {
  const login = await services.auth.login({ email: account.email, password: account.password });
  assert.equal(login.kind, 'pending');
  const full = await services.auth.verifySecondFactor({
    pendingToken: login.issued.token,
    code: codeAt(account.secret, clock.nowMs()),
  });
  assert.equal(full.session.state, 'full', `${account.email} signs in`);
  clock.advance(30_000);
}

interface Status {
  currentKeyId: string;
  previousKeyId: string | null;
  rotation: { finishedAt: string | null; resealed: number } | null;
  keysInUse: { keyId: string; totpSecrets: number; recoveryCodes: number }[];
  instances: { currentKeyId: string; keyIds: string[] }[];
  retirable: string[];
}

async function status(env: Record<string, string>): Promise<Status> {
  const result = await admin(['rotate-key', '--status', '--json'], env);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Status;
}

function inUse(state: Status, keyId: string): { totpSecrets: number; recoveryCodes: number } {
  return state.keysInUse.find((entry) => entry.keyId === keyId) ?? { totpSecrets: 0, recoveryCodes: 0 };
}

/** Waits (by condition, not by time) until every running instance seals under `keyId`. */
async function untilInstancesSealUnder(env: Record<string, string>, keyId: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const state = await status(env);
    if (state.instances.length > 0 && state.instances.every((instance) => instance.currentKeyId === keyId))
      return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`running instances never sealed under ${keyId}`);
}

/**
 * `twofa admin ...args` as a child process that pauses after `batches` batches (the test hook), then is
 * killed with SIGKILL there: a crash half-way. Resolves with its stderr once it is dead.
 */
function rotateAndKill(args: string[], env: Record<string, string>, batches: number): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'admin', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      TWOFA_TEST_ROTATE_PAUSE_AFTER_BATCHES: String(batches),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/paused after \d+ batches/.test(stderr)) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(stderr);
      else reject(new Error(`rotate-key ended by itself (status ${code}) instead of pausing: ${stderr}`));
    });
  });
}

const USERS = 7;

for (const dialect of DIALECTS) {
  describe(`twofa admin rotate-key with TWOFA_MASTER_KEY on ${dialect.name}`, () => {
    test('killed half-way, resumed, sign-in works throughout; the old key then retired and not needed', async () => {
      const oldKey = randomMasterKey('old');
      const newKey = randomMasterKey('k2');
      const db: AdminDatabase = await adminDatabase(dialect, { TWOFA_MASTER_KEY: oldKey });
      toClose.push(db.services);
      const accounts: Account[] = [];
      for (let i = 0; i < USERS; i++) accounts.push(await signUpWithTotp(db.services, db.clock));
      await db.services.close();
      toClose.pop();

      // Step 1 of the procedure: the new key is added after the current one, and the instance restarted.
      const both = { ...db.env, TWOFA_MASTER_KEY: `${oldKey},${newKey}` };
      const bothConfig = loadConfig(both, db.config.dataDir);
      const server = await runningInstance(bothConfig, db.clock);
      const before = await status(both);
      assert.equal(before.currentKeyId, 'old');
      assert.equal(inUse(before, 'old').totpSecrets, USERS);

      // Step 2, crashing: killed after 2 batches of 2.
      const stderr = await rotateAndKill(
        ['rotate-key', '--to', 'k2', '--yes', '--batch-size', '2', '--wait', '0'],
        both,
        2,
      );
      assert.match(stderr, /'k2' is now the current master key \(was 'old'\)/);
      const half = await status(both);
      assert.equal(half.currentKeyId, 'k2');
      assert.equal(half.rotation?.finishedAt, null, 'the rotation is unfinished');
      assert.equal(inUse(half, 'k2').totpSecrets, 4);
      assert.equal(inUse(half, 'old').totpSecrets, USERS - 4);

      // Meanwhile the running instance signs in everyone, whichever key their secret is under.
      await untilInstancesSealUnder(both, 'k2');
      for (const account of accounts) await signIn(server, db.clock, account);
      const during = await status(both);
      assert.equal(
        inUse(during, 'k2').totpSecrets,
        USERS,
        'reading re-sealed the rest under the current key',
      );

      // Run again: it resumes the rotation the killed run started, and finishes it.
      const finishing = await admin(['rotate-key', '--yes', '--wait', '0', '--json'], both);
      assert.equal(finishing.status, 0, finishing.stderr);
      const report = JSON.parse(finishing.stdout);
      assert.equal(report.resumed, true);
      assert.equal(report.finished, true);
      assert.equal(report.keyId, 'k2');
      assert.equal(report.recoveryCodesUnderOtherKeys, USERS * 10);
      const done = await status(both);
      assert.notEqual(done.rotation?.finishedAt, null);
      assert.equal(inUse(done, 'old').totpSecrets, 0);
      for (const account of accounts) await signIn(server, db.clock, account);

      // Recovery codes cannot be re-hashed: retiring the old key is refused while unused ones need it.
      const refused = await admin(['rotate-key', '--retire', 'old', '--yes'], both);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /KEY_IN_USE/);
      assert.match(refused.stderr, /Under it: 0 TOTP secrets and 0 phone numbers .*70 unused recovery codes/);
      for (const account of accounts) {
        const code = codeAt(account.secret, db.clock.nowMs());
        await server.recovery.regenerate({ userId: account.userId, password: account.password, code });
        db.clock.advance(30_000);
      }
      assert.deepEqual(inUse(await status(both), 'old'), { totpSecrets: 0, recoveryCodes: 0 });
      const retired = await admin(['rotate-key', '--retire', 'old', '--yes'], both);
      assert.equal(retired.status, 0, retired.stderr);
      assert.match(retired.stdout, /remove it from TWOFA_MASTER_KEY on every instance/);

      // Step 3: the old key removed from the list; a fresh instance starts and signs everyone in.
      const onlyNew = loadConfig({ ...db.env, TWOFA_MASTER_KEY: newKey }, db.config.dataDir);
      const fresh = await runningInstance(onlyNew, db.clock);
      for (const account of accounts) await signIn(fresh, db.clock, account);
      const audit = await admin(['audit', '--json', '--limit', '200'], {
        ...db.env,
        TWOFA_MASTER_KEY: newKey,
      });
      const types = (JSON.parse(audit.stdout) as { events: { type: string }[] }).events.map((e) => e.type);
      for (const type of [
        'master_key.rotation_started',
        'master_key.rotation_finished',
        'master_key.retired',
      ]) {
        assert.ok(types.includes(type), `${type} is audited`);
      }
      assert.equal((await admin(['audit', 'verify'], db.env)).status, 0);
    });

    test('refused: a key the list lacks, a key some running instance lacks, two modes, no key named', async () => {
      const oldKey = randomMasterKey('old');
      const newKey = randomMasterKey('k2');
      const db = await adminDatabase(dialect, { TWOFA_MASTER_KEY: oldKey });
      toClose.push(db.services);
      await signUpWithTotp(db.services, db.clock);
      const both = { ...db.env, TWOFA_MASTER_KEY: `${oldKey},${newKey}` };
      const unknown = await admin(['rotate-key', '--to', 'k9', '--yes', '--wait', '0'], both);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /UNKNOWN_KEY/);
      // An instance still on the old list is running (its heartbeat says which keys it holds).
      const oldOnly = await runningInstance(loadConfig(db.env, db.config.dataDir), db.clock);
      await untilInstancesSealUnder(db.env, 'old');
      const lacking = await admin(['rotate-key', '--to', 'k2', '--yes', '--wait', '0'], both);
      assert.equal(lacking.status, 1);
      assert.match(
        lacking.stderr,
        /Running instances lack the new key.*Lacking it: .+ \(pid \d+\).*KEY_NOT_ON_EVERY_INSTANCE/,
      );
      assert.equal((await status(both)).currentKeyId, 'old', 'nothing changed');
      await oldOnly.close();
      const twoModes = await admin(['rotate-key', '--status', '--retire', 'old'], both);
      assert.equal(twoModes.status, 2);
      const noTarget = await admin(['rotate-key', '--yes', '--wait', '0'], both);
      assert.equal(noTarget.status, 1, 'with TWOFA_MASTER_KEY the new key must be named');
      assert.match(noTarget.stderr, /INVALID_INPUT/);
    });
  });
}

describe('twofa admin rotate-key with the key file (SQLite)', () => {
  test('generates a key into the file; a running instance learns it from the file; --retire removes the old one', async () => {
    const sqlite = DIALECTS.find((dialect) => dialect.name === 'sqlite')!;
    const db = await adminDatabase(sqlite);
    await db.services.close();
    const env = serveEnv(db.config);
    const keyFile = join(db.config.dataDir, 'master.key');
    assert.ok(existsSync(keyFile));
    const server = await runningInstance(db.config, db.clock);
    const accounts: Account[] = [];
    for (let i = 0; i < 3; i++) accounts.push(await signUpWithTotp(server, db.clock));
    for (const account of accounts) {
      await server.totp.disable({
        userId: account.userId,
        password: account.password,
        code: codeAt(account.secret, db.clock.nowMs()),
      });
      db.clock.advance(30_000);
    }
    const enrolled: Account[] = [];
    for (let i = 0; i < 3; i++) enrolled.push(await signUpWithTotp(server, db.clock));
    // No recovery codes under the old key: the users above made theirs; replace them after the rotation.

    const result = await admin(['rotate-key', '--yes', '--wait', '0', '--json'], env);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.match(report.keyId, /^k\d{8}-\d{6}$/);
    assert.equal(report.previousKeyId, 'default');
    assert.equal(report.resealed, 3);
    const file = readFileSync(keyFile, 'utf8');
    assert.match(file, new RegExp(`^default:[^,]+,${report.keyId}:[A-Za-z0-9+/=]+\\n$`));
    await untilInstancesSealUnder(env, report.keyId);
    for (const account of enrolled) await signIn(server, db.clock, account);
    for (const account of enrolled) {
      await server.recovery.regenerate({
        userId: account.userId,
        password: account.password,
        code: codeAt(account.secret, db.clock.nowMs()),
      });
      db.clock.advance(30_000);
    }
    const retired = await admin(['rotate-key', '--retire', 'default', '--yes'], env);
    assert.equal(retired.status, 0, retired.stderr);
    assert.match(readFileSync(keyFile, 'utf8'), new RegExp(`^${report.keyId}:[A-Za-z0-9+/=]+\\n$`));
    const fresh = await runningInstance(db.config, db.clock);
    for (const account of enrolled) await signIn(fresh, db.clock, account);
  });
});
