/**
 * A worker thread that appends audit events to a SQLite file through its own connection, as a second
 * process would: it opens the database, says 'ready', waits for 'go', appends `count` events (each in its
 * own transaction, user_id = its name, a millisecond apart) and answers `<name>:<count>`.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { appendAuditRecord } from '../../src/services/audit-log.ts';
import { openDatabase } from '../../src/store/open.ts';
import { sampleRecord } from './audit.ts';

const { dataDir, writer, count } = workerData as { dataDir: string; writer: string; count: number };
const port = parentPort!;
const { db } = openDatabase({ databaseUrl: undefined, dataDir });
try {
  await db.selectFrom('audit_head').select('seq').execute(); // opens the connection before 'go'
  port.postMessage('ready');
  await once(port, 'message');
  for (let n = 1; n <= count; n++) {
    await db.transaction().execute((trx) => appendAuditRecord(trx, sampleRecord(n, { userId: writer })));
    // A pause, as between a server's requests: in a tight loop one connection re-takes SQLite's write lock
    // before the other's busy handler wakes up, and the writers would take turns in blocks, not interleave.
    await sleep(1);
  }
  port.postMessage(`${writer}:${count}`);
} finally {
  await db.destroy();
}
