/** Opens the database the configuration names: PostgreSQL for a postgres:// URL, else the SQLite file. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { createPostgresDialect, type PostgresDialectOptions } from './postgres-dialect.ts';
import type { Database } from './schema.ts';
import { createSqliteDialect } from './sqlite-dialect.ts';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
}

/** The SQLite file inside the data directory. */
export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'twofa.sqlite');
}

export function openDatabase(
  options: { databaseUrl: string | undefined; dataDir: string; databasePoolSize?: number },
  events: PostgresDialectOptions = {},
): OpenedDatabase {
  if (options.databaseUrl !== undefined) {
    const pool = options.databasePoolSize === undefined ? {} : { poolSize: options.databasePoolSize };
    return {
      db: new Kysely<Database>({
        dialect: createPostgresDialect(options.databaseUrl, { ...events, ...pool }),
      }),
      kind: 'postgres',
    };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return {
    db: new Kysely<Database>({ dialect: createSqliteDialect(sqlitePath(options.dataDir)) }),
    kind: 'sqlite',
  };
}
