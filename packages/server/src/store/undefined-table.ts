/** Recognises "that table does not exist" from either driver (a database the migrations have not reached). */
export function isUndefinedTable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  // PostgreSQL SQLSTATE 42P01 undefined_table.
  if (code === '42P01') return true;
  // SQLite reports it as the generic SQLITE_ERROR (1); only the message tells.
  return errcode === 1 && typeof message === 'string' && message.startsWith('no such table:');
}
