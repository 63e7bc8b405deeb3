/**
 * Kysely's SqliteDialect over Node's built-in `node:sqlite` (no native add-on to build). Kysely expects a
 * database shaped like better-sqlite3's; `node:sqlite`'s StatementSync needs a thin adapter for that.
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
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

/** Opens (creating if needed) the SQLite file at `path` in WAL mode, with foreign keys enforced. */
export function createSqliteDialect(path: string): SqliteDialect {
  return new ImmediateSqliteDialect({ database: async () => openSqliteDatabase(path) });
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

function openSqliteDatabase(path: string): SqliteDatabase {
  const database = new DatabaseSync(path);
  // WAL: readers do not block the writer; busy_timeout: wait for a lock instead of failing at once.
  database.exec(
    `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;`,
  );
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const statement = database.prepare(sql);
      const bind = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...bind(parameters)),
        run: (parameters) => statement.run(...bind(parameters)),
        iterate: (parameters) => statement.iterate(...bind(parameters)),
      };
    },
  };
}
