/** What a PostgreSQL server allows in connections, for sizing the pools of every worker at start. */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.ts';

export interface ConnectionLimits {
  /** max_connections. */
  readonly maxConnections: number;
  /** Slots only superusers (and, from PostgreSQL 16, roles with pg_use_reserved_connections) may take. */
  readonly reserved: number;
  /** Client connections open right now, on the whole server (this one included). */
  readonly inUse: number;
}

export async function readConnectionLimits(db: Kysely<Database>): Promise<ConnectionLimits> {
  // reserved_connections exists from PostgreSQL 16; current_setting(name, true) gives null before.
  const { rows } = await sql<{ max: number; reserved: number; in_use: number }>`
    select current_setting('max_connections')::int as max,
      current_setting('superuser_reserved_connections')::int
        + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) as reserved,
      (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as in_use`.execute(
    db,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('PostgreSQL did not report its connection limits');
  return { maxConnections: row.max, reserved: row.reserved, inUse: row.in_use };
}
