/** Recognises a unique-constraint violation from either driver (for "email taken" and insert races). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // PostgreSQL SQLSTATE 23505 unique_violation.
  if (code === '23505') return true;
  // SQLite extended result codes SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
  return errcode === 2067 || errcode === 1555;
}
