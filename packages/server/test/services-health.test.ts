/**
 * Threat: a PostgreSQL host that stops answering (a network partition, a hung server, a firewall dropping
 * packets) makes every health probe hang, so the load balancer never learns the instance is unwell and
 * requests pile up. The pool gives up connecting after connectionTimeoutMillis, and /healthz answers 503
 * "the database did not answer" within its own bound whatever the pool does.
 *
 * The silent host is a node:net server on 127.0.0.1 that accepts connections and never writes a byte.
 * The test timeouts below only keep a regression from hanging the suite; nothing here measures time.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, test } from 'node:test';
import { Kysely, sql } from 'kysely';
import { createApp } from '../src/app.ts';
import { createHealthService } from '../src/services/health.ts';
import type { Services } from '../src/services/types.ts';
import { openDatabase } from '../src/store/open.ts';
import { createPostgresDialect } from '../src/store/postgres-dialect.ts';
import type { Database } from '../src/store/schema.ts';
import { makeTestApp, type TestApp } from './support/app.ts';

let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();
let accepted = 0;
const opened: Kysely<Database>[] = [];
let t: TestApp;

before(async () => {
  silent = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  assert.ok(address !== null && typeof address === 'object');
  silentUrl = `postgres://twofa@127.0.0.1:${address.port}/twofa`;
  t = await makeTestApp();
});

afterEach(async () => {
  // Hang up first: a pool still waiting for the silent host then fails its connect and can close.
  for (const socket of sockets) socket.destroy();
  await Promise.all(opened.splice(0).map((db) => db.destroy()));
});

after(async () => {
  await t.close();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

/** A Kysely over a pg pool pointed at the silent host. */
function silentDatabase(connectionTimeoutMs: number): Kysely<Database> {
  const db = new Kysely<Database>({ dialect: createPostgresDialect(silentUrl, { connectionTimeoutMs }) });
  opened.push(db);
  return db;
}

test('the pool gives up connecting to a host that accepts and never answers', {
  timeout: 15_000,
}, async () => {
  const db = silentDatabase(200);
  await assert.rejects(sql`select 1`.execute(db), /timeout/i);
  assert.ok(accepted > 0, 'the silent host was reached (the timeout is not some other failure)');
});

test('the service opens its pool with a connection timeout', { timeout: 15_000 }, async () => {
  // As openServices opens it. Without the timeout, pg waits for the silent host for ever.
  const { db } = openDatabase({ databaseUrl: silentUrl, dataDir: '/nonexistent' });
  opened.push(db);
  await assert.rejects(sql`select 1`.execute(db), /timeout/i);
});

test('the health check answers "the database did not answer" when the query never returns', {
  timeout: 15_000,
}, async () => {
  const events: { name: string; fields: Record<string, unknown> }[] = [];
  // connectionTimeoutMs 0: pg waits for ever, like a query on a connection whose host went silent.
  const health = createHealthService(
    { db: silentDatabase(0), kind: 'postgres', log: (name, fields = {}) => events.push({ name, fields }) },
    { timeoutMs: 100 },
  );
  const result = await health.check();
  assert.deepEqual(result, { ok: false, database: 'postgres', error: 'the database did not answer' });
  assert.equal(events.length, 1);
  assert.equal(events[0]?.name, 'health.database_error');
  assert.match(String(events[0]?.fields.message), /did not answer within 100 ms/);
});

test('GET /healthz: 503 when the database never answers', { timeout: 15_000 }, async () => {
  const health = createHealthService(
    { db: silentDatabase(0), kind: 'postgres', log: () => {} },
    { timeoutMs: 100 },
  );
  const services: Services = { ...t.services, health };
  const app = createApp({ config: t.config, services, log: () => {} });
  const res = await app.request('/healthz');
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'unavailable', database: { kind: 'postgres', ok: false } });
});

test('the bound does not get in the way of a database that answers', async () => {
  const res = await t.app.request('/healthz');
  assert.equal(res.status, 200);
});
