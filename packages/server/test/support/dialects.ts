/**
 * The databases every store and service suite runs on: SQLite always, PostgreSQL when TWOFA_TEST_PG_URL is
 * set (CI sets it). Each `makeConfig()` gives a fresh, empty database:
 * - SQLite: a new file in a new mkdtemp directory (which is also the data dir, so master.key lands there);
 * - PostgreSQL: a new uniquely named schema, selected with `search_path` in the connection URL, and a random
 *   master key. Schemas are cheaper than databases and need only the CREATE privilege on the database.
 * Everything made is removed when the test file ends (an `after` hook on the file's root).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.ts';

export interface TestDialect {
  readonly name: 'sqlite' | 'postgres';
  /** A configuration for a fresh, empty database; `env` adds or overrides TWOFA_* variables. */
  makeConfig(env?: Record<string, string>): Promise<Config>;
}

const PG_URL = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;

const tempDirs: string[] = [];
const schemas: string[] = [];

after(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
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
