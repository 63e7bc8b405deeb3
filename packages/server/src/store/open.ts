/** Opens the database the configuration names: PostgreSQL for a postgres:// URL, else the SQLite file. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, type LogEvent } from 'kysely';
import { createPostgresDialect, type PostgresDialectOptions } from './postgres-dialect.ts';
import type { Database } from './schema.ts';
import type { SqliteSynchronous } from './sqlite-dialect.ts';
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

export interface OpenDatabaseEvents extends PostgresDialectOptions {
  /**
   * Hears the SQL text of every statement run (not its parameters), for counting statements per request
   * in tests and benchmarks. Unset in production: Kysely then does no per-query logging work.
   */
  readonly onQuery?: (sql: string) => void;
}

export function openDatabase(
  options: {
    databaseUrl: string | undefined;
    dataDir: string;
    databasePoolSize?: number;
    /** Bounds every PostgreSQL statement (see PostgresDialectOptions.queryTimeoutMs). */
    databaseQueryTimeoutMs?: number;
    /** @default 'normal' */
    sqliteSynchronous?: SqliteSynchronous;
  },
  events: OpenDatabaseEvents = {},
): OpenedDatabase {
  const { onQuery } = events;
  const log = onQuery === undefined ? {} : { log: (event: LogEvent) => onQuery(event.query.sql) };
  if (options.databaseUrl !== undefined) {
    const pool = options.databasePoolSize === undefined ? {} : { poolSize: options.databasePoolSize };
    const timeout =
      options.databaseQueryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.databaseQueryTimeoutMs };
    return {
      db: new Kysely<Database>({
        dialect: createPostgresDialect(options.databaseUrl, { ...events, ...pool, ...timeout }),
        ...log,
      }),
      kind: 'postgres',
    };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return {
    db: new Kysely<Database>({
      dialect: createSqliteDialect(sqlitePath(options.dataDir), {
        synchronous: options.sqliteSynchronous ?? 'normal',
      }),
      ...log,
    }),
    kind: 'sqlite',
  };
}
