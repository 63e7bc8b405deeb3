/**
 * The databases every store and service suite runs on: SQLite always, PostgreSQL when TWOFA_TEST_PG_URL is
 * set (CI sets it). Each `makeConfig()` gives a fresh, empty database:
 * - SQLite: a new file in a new mkdtemp directory (which is also the data dir, so master.key lands there);
 * - PostgreSQL: a new uniquely named schema, selected with `search_path` in the connection URL, and a random
 *   master key. Schemas are cheaper than databases and need only the CREATE privilege on the database.
 * Everything made is removed when the test file ends (an `after` hook on the file's root).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.ts';
import type { PasswordHasher } from '../../src/crypto/passwords.ts';
import { openServices } from '../../src/services/index.ts';
import { ServiceError, type ServiceErrorCode, type Services } from '../../src/services/types.ts';
import { TEST_PASSWORD_HASHER } from './passwords.ts';

export interface TestDialect {
  readonly name: 'sqlite' | 'postgres';
  /** A configuration for a fresh, empty database; `env` adds or overrides TWOFA_* variables. */
  makeConfig(env?: Record<string, string>): Promise<Config>;
}

const PG_URL = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;

const tempDirs: string[] = [];
const schemas: string[] = [];

after(async () => {
  // A service a test file has not closed yet may still be writing a message to its outbox: retry.
  await Promise.all(
    tempDirs
      .splice(0)
      .map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })),
  );
  if (PG_URL !== undefined && schemas.length > 0) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const schema of schemas.splice(0)) await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  }
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-test-'));
  tempDirs.push(dir);
  return dir;
}

/** A random master key in TWOFA_MASTER_KEY form. */
export function randomMasterKey(keyId?: string): string {
  const key = randomBytes(32).toString('base64');
  return keyId === undefined ? key : `${keyId}:${key}`;
}

const sqlite: TestDialect = {
  name: 'sqlite',
  async makeConfig(env = {}) {
    const dir = await tempDir();
    return loadConfig({ TWOFA_DATA_DIR: dir, TWOFA_LOG: '0', ...env }, dir);
  },
};

const postgres: TestDialect = {
  name: 'postgres',
  async makeConfig(env = {}) {
    const schema = `twofa_test_${process.pid}_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`create schema ${schema}`);
    } finally {
      await client.end();
    }
    schemas.push(schema);
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const dir = await tempDir();
    return loadConfig(
      {
        TWOFA_DATA_DIR: dir,
        TWOFA_DATABASE_URL: url.href,
        TWOFA_MASTER_KEY: randomMasterKey(),
        TWOFA_LOG: '0',
        ...env,
      },
      dir,
    );
  },
};

/** SQLite always; PostgreSQL when TWOFA_TEST_PG_URL is set. */
export const DIALECTS: readonly TestDialect[] = PG_URL === undefined ? [sqlite] : [sqlite, postgres];

// Without a PostgreSQL URL its suites do not run: say so in the count (a skip with the reason) rather than let
// them vanish from it. CI sets the URL and TWOFA_REQUIRE_TOOLS, and then a missing URL is a failure.
if (PG_URL === undefined) {
  const reason =
    'PostgreSQL suites: set TWOFA_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them';
  if (process.env.TWOFA_REQUIRE_TOOLS === '1') {
    test('PostgreSQL suites', () => assert.fail(`TWOFA_REQUIRE_TOOLS=1 but ${reason}`));
  } else {
    test('PostgreSQL suites', { skip: reason }, () => {});
  }
}

/** A clock tests move by hand. Starts one second into a TOTP step (so +-29 s stays in the same step). */
export interface TestClock {
  nowMs: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export const CLOCK_START_MS = 1_700_000_011_000;

export function makeClock(startMs = CLOCK_START_MS): TestClock {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** Services on a config, with a hand-moved clock and the event log captured (parsed) in `events`. */
export async function openTestServices(
  config: Config,
  clock: TestClock = makeClock(),
  /** @default TEST_PASSWORD_HASHER (cheap argon2id); pass createPasswordHasher() for production's cost. */
  passwordHasher: PasswordHasher = TEST_PASSWORD_HASHER,
): Promise<{
  services: Services;
  clock: TestClock;
  events: Record<string, unknown>[];
  lines: string[];
}> {
  const lines: string[] = [];
  const events: Record<string, unknown>[] = [];
  const services = await openServices(config, {
    nowMs: clock.nowMs,
    passwordHasher,
    log: (line) => {
      lines.push(line);
      events.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { services, clock, events, lines };
}

/** The TWOFA_* settings naming the database and keys of `config`, for `openOperator` (twofa admin). */
export function operatorEnv(config: Config): Record<string, string> {
  return {
    TWOFA_DATA_DIR: config.dataDir,
    ...(config.masterKey === undefined ? {} : { TWOFA_MASTER_KEY: config.masterKey }),
    ...(config.databaseUrl === undefined ? {} : { TWOFA_DATABASE_URL: config.databaseUrl }),
  };
}

/**
 * An instance that never re-reads the current master key on its own (keyStatePollMs 0): one that has not
 * yet seen a rotation.
 */
export function openStaleInstance(config: Config, clock?: TestClock): Promise<Services> {
  return openServices(config, {
    ...(clock === undefined ? {} : { nowMs: clock.nowMs }),
    passwordHasher: TEST_PASSWORD_HASHER,
    log: () => {},
    keyStatePollMs: 0,
  });
}

let emailCounter = 0;
/** A fresh address for each call (tests share one database per file). */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}${++emailCounter}-${process.pid}@example.com`;
}

/** The code an authenticator app would show at the clock's current time. */
export function codeAt(secret: Uint8Array, nowMs: number): string {
  return generateTOTP({ secret, nowMs });
}

/**
 * Signs a user up and turns 2FA on (the confirmation code is used up), then moves the clock to the next
 * time step so the next code differs.
 */
export async function signUpWithTotp(
  services: Services,
  clock: TestClock,
  password = 'correct horse battery',
): Promise<{ email: string; password: string; userId: string; secret: Uint8Array; token: string }> {
  const email = uniqueEmail('totp');
  const issued = await services.accounts.signUp({ email, password });
  const userId = issued.session.userId;
  const { secret } = await services.totp.beginEnrollment(userId);
  await services.totp.confirmEnrollment({ userId, password, code: codeAt(secret, clock.nowMs()) });
  clock.advance(30_000);
  return { email, password, userId, secret, token: issued.token };
}

/** Asserts that `promise` rejects with a ServiceError of `code`; returns the error. */
export async function rejectsCode(promise: Promise<unknown>, code: ServiceErrorCode): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ServiceError, `expected ServiceError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ServiceError ${code}, but it succeeded`);
}

/** The TWOFA_* settings `twofa serve` (and `twofa admin`) would be given for `config`. */
export function serveEnv(config: Config): Record<string, string> {
  return {
    TWOFA_DATA_DIR: config.dataDir,
    ...(config.databaseUrl === undefined ? {} : { TWOFA_DATABASE_URL: config.databaseUrl }),
    ...(config.masterKey === undefined ? {} : { TWOFA_MASTER_KEY: config.masterKey }),
  };
}
