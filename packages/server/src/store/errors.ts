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
 * Recognises "the database cannot be reached or refuses work right now" from either driver: the request may
 * succeed if tried again in a moment, so the edge answers 503, not 500. PostgreSQL: a connection that failed
 * or was ended (an administrator's pg_terminate_backend, a restart, a failover, a network cut), no connection
 * within the pool's timeout, too many connections. SQLite: the write lock still held by another process when
 * busy_timeout ran out (SQLITE_BUSY, "database is locked").
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // SQLSTATE class 08 connection_exception; 57P01 admin_shutdown (pg_terminate_backend), 57P02
    // crash_shutdown, 57P03 cannot_connect_now (starting or in recovery); 53300 too_many_connections;
    // 57014 query_canceled (statement_timeout ran out: the server is too slow or a lock is held too long).
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300' || code === '57014')
      return true;
    // Sockets: the server is down, restarting or unreachable.
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) {
      return true;
    }
  }
  // SQLite's primary result code SQLITE_BUSY (5), and its extended codes (5 + n * 256).
  if (typeof errcode === 'number' && (errcode & 0xff) === 5) return true;
  // pg reports a connection lost mid-query, no connection from the pool in time, or no answer within
  // query_timeout (a host gone silent), without a code.
  return (
    typeof message === 'string' &&
    (message.startsWith('Connection terminated') ||
      message === 'timeout exceeded when trying to connect' ||
      message === 'Query read timeout' ||
      message.startsWith('Client has encountered a connection error and is not queryable'))
  );
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
