/**
 * The tamper-evident audit log. Frozen: later changes go in new migrations. Imports only Kysely.
 *
 * - `audit_events`: append-only, one row per event, numbered 1, 2, 3... from the head. Each row's `hash` is
 *   SHA-256 over the previous row's hash and its own canonical content, so changing, removing or inserting a
 *   row breaks the chain. `user_id` has no foreign key: the log outlives the accounts it describes.
 * - `audit_head`: one row (id 1), the last number given out and the last row's hash. Appenders advance it
 *   first, in their transaction, which serialises them on this row (any number of instances).
 */
import { type Kysely, sql } from 'kysely';

/** The hash the first event chains from: 64 zeros (the width of a hex SHA-256). */
const GENESIS_HASH = '0'.repeat(64);

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    // NOT NULL: on SQLite a primary key that is not INTEGER PRIMARY KEY would otherwise accept NULL.
    .addColumn('seq', 'bigint', (col) => col.primaryKey().notNull())
    .addColumn('at_ms', 'bigint', (col) => col.notNull())
    .addColumn('user_id', 'text')
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'text', (col) => col.notNull())
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('audit_events_user_id_seq')
    .on('audit_events')
    .columns(['user_id', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();
  await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: GENESIS_HASH }).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_head').execute();
  await db.schema.dropTable('audit_events').execute();
}
