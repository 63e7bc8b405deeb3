/** The notice_cursor table: how far through the audit log the notices have been sent. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export async function readNoticeCursor(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('notice_cursor').select('seq').where('id', '=', 1).executeTakeFirst();
  if (row === undefined) throw new Error('the notice cursor (notice_cursor, id 1) is missing');
  return Number(row.seq);
}

/** Moves the cursor from `fromSeq` to `toSeq`; false when another instance moved it first. */
export async function advanceNoticeCursor(
  db: Kysely<Database>,
  input: { fromSeq: number; toSeq: number },
): Promise<boolean> {
  const result = await db
    .updateTable('notice_cursor')
    .set({ seq: input.toSeq })
    .where('id', '=', 1)
    .where('seq', '=', input.fromSeq)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
