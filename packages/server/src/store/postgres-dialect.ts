/**
 * Kysely's PostgresDialect over a `pg` Pool. BIGINT (int8) columns hold millisecond times and time steps:
 * this pool parses them to JavaScript numbers (pg's default is a string), refusing any value beyond 2^53,
 * which these columns never reach. The parser is set per pool, not on pg's global type registry.
 */
import { PostgresDialect } from 'kysely';
import pg from 'pg';

/** pg_type oid of int8 (BIGINT), and of the count(*) result. */
const INT8_OID = 20;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is beyond 2^53`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function createPostgresDialect(connectionString: string): PostgresDialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString, types, max: 10 }) });
}
