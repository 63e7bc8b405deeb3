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

/**
 * Why the database cannot be reached, from the driver's error: network errors (ECONNREFUSED, ENOTFOUND...),
 * refused logins (28xxx), an unknown database (3D000), broken connections (08xxx). Undefined for any other
 * error. pg's messages name the host or user, never the password; an AggregateError (every address of a host
 * refused) has an empty message, and then its code says why.
 */
export function describeUnreachable(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^(E[A-Z]+|28\w{3}|3D000|08\w{3})$/.test(code)) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : code;
}
