/** Recognising the database errors the store cares about, from either driver (the dialect facts in one place). */
/** Recognises a unique-constraint violation from either driver (for "email taken" and insert races). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // PostgreSQL SQLSTATE 23505 unique_violation.
  if (code === '23505') return true;
  // SQLite extended result codes SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
  return errcode === 2067 || errcode === 1555;
}

/** Recognises "that table does not exist" from either driver (a database the migrations have not reached). */
export function isUndefinedTable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  // PostgreSQL SQLSTATE 42P01 undefined_table.
  if (code === '42P01') return true;
  // SQLite reports it as the generic SQLITE_ERROR (1); only the message tells.
  return errcode === 1 && typeof message === 'string' && message.startsWith('no such table:');
}
