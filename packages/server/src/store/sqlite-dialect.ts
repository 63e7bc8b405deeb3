/**
 * Kysely's SqliteDialect over Node's built-in `node:sqlite` (no native add-on to build). Kysely expects a
 * database shaped like better-sqlite3's; `node:sqlite`'s StatementSync needs a thin adapter for that.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
  type TransactionSettings,
} from 'kysely';

/** How long a write waits for another connection's lock (another process on the same file) before failing. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Prepared statements kept per connection, by SQL text. The service runs a few dozen distinct statements
 * (Kysely's SQL text varies only with the shape of a query, never with its values, which are parameters);
 * the bound stops a caller that builds SQL text from data (an IN list of varying length) from growing it
 * without end.
 */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * `PRAGMA synchronous` in WAL mode. `normal`: a commit is written to the WAL but synced only at checkpoints,
 * so it survives a crash of the process (the OS has the data) but the last commits before a power cut or
 * kernel crash may be lost (the database stays consistent). `full`: every commit is synced first.
 */
export type SqliteSynchronous = 'normal' | 'full';

export interface SqliteDialectOptions {
  /** @default 'normal' */
  readonly synchronous?: SqliteSynchronous;
}

/** Opens (creating if needed) the SQLite file at `path` in WAL mode, with foreign keys enforced. */
export function createSqliteDialect(path: string, options: SqliteDialectOptions = {}): SqliteDialect {
  const synchronous = options.synchronous ?? 'normal';
  return new ImmediateSqliteDialect({ database: async () => openSqliteDatabase(path, synchronous) });
}

/**
 * Kysely opens every SQLite transaction with a plain (deferred) BEGIN: it takes the write lock only at the
 * first write, and a transaction that read first and then needs it while another connection (another process
 * on the file) writes gets SQLITE_BUSY at once, without the busy timeout (SQLite's deadlock avoidance). Every
 * read-write transaction here writes, so take the write lock up front (BEGIN IMMEDIATE): waiting for it then
 * honours busy_timeout. A read-only transaction (`setAccessMode('read only')`, e.g. `twofa audit verify`'s walk)
 * keeps the deferred BEGIN: in WAL mode it reads a snapshot and blocks no writer however long it runs.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection, settings: TransactionSettings) => {
      const begin = settings.accessMode === 'read only' ? 'begin' : 'begin immediate';
      await connection.executeQuery(CompiledQuery.raw(begin));
    };
    return driver;
  }
}

function openSqliteDatabase(path: string, synchronous: SqliteSynchronous): SqliteDatabase {
  const database = new DatabaseSync(path);
  // busy_timeout first: wait for a lock instead of failing at once, the journal-mode switch included (it needs
  // the file's lock, which another process starting at the same moment, e.g. a second worker migrating, may
  // hold: set after it, that pragma failed with "database is locked" once in CI). WAL: readers do not block
  // the writer.
  database.exec(
    `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; ` +
      `PRAGMA synchronous = ${synchronous.toUpperCase()}; PRAGMA foreign_keys = ON;`,
  );
  const prepare = cachedPreparer(database, STATEMENT_CACHE_SIZE);
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const { statement, reader } = prepare(sql);
      const bind = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
      return {
        reader,
        all: (parameters) => statement.all(...bind(parameters)),
        run: (parameters) => statement.run(...bind(parameters)),
        iterate: (parameters) => statement.iterate(...bind(parameters)),
      };
    },
  };
}

interface Prepared {
  readonly statement: StatementSync;
  /** Whether it returns rows (Kysely then calls `all`, else `run`). */
  readonly reader: boolean;
}

/**
 * `prepare` with a least-recently-used cache keyed by SQL text: preparing parses and plans the statement,
 * which cost more than running most of ours. Safe on one connection: Kysely runs one query at a time on it,
 * and a statement's `all` or `run` resets it before binding. Exported for tests.
 */
export function cachedPreparer(database: DatabaseSync, size: number): (sql: string) => Prepared {
  const cache = new Map<string, Prepared>();
  return (sql) => {
    const hit = cache.get(sql);
    if (hit !== undefined) {
      // Map keeps insertion order: moving a hit to the end leaves the least recently used first.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = database.prepare(sql);
    const prepared = { statement, reader: statement.columns().length > 0 };
    cache.set(sql, prepared);
    if (cache.size > size) cache.delete(cache.keys().next().value as string);
    return prepared;
  };
}
