// Threat: a database that stops answering holds requests for minutes. A PostgreSQL host that went silent
// (a partition, a hung server, a firewall dropping packets) leaves a statement already sent on an open
// connection waiting until the operating system gives up, and a slow statement (a lock held too long, an
// overloaded server) holds its request as long as it runs; requests pile up behind them and the pool runs
// dry. Every statement is bounded (TWOFA_DATABASE_QUERY_TIMEOUT_MS: statement_timeout on the server, pg's
// query_timeout in the client for a silent host): the page answers 503 with Retry-After (never a 500, never a
// hang), and the service works again as soon as the database does, without a restart.
//
// The silent host is a TCP proxy in front of the real PostgreSQL that can stop forwarding (accepting and
// dropping every byte, on open and new connections alike). The test timeouts only keep a regression from
// hanging the suite; nothing here measures time.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { prepareStorage } from '../../src/services/index.ts';
import { isDatabaseUnavailable } from '../../src/store/errors.ts';
import { ADVISORY_LOCK_KEY } from '../../src/store/migrate.ts';
import { openDatabase } from '../../src/store/open.ts';
import { QUERY_TIMEOUT_GRACE_MS } from '../../src/store/postgres-dialect.ts';
import { makeTestApp, PUBLIC_URL, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/client.ts';
import { DIALECTS } from '../support/dialects.ts';
import { browserFor, signUp, uniqueEmail } from '../support/flows.ts';

const PG_URL = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;
const pgSkip = PG_URL === undefined ? 'needs TWOFA_TEST_PG_URL' : false;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A tiny bound, so the tests wait well under a second for each timeout. */
const TEST_TIMEOUT_MS = 300;

interface SilenceableProxy {
  readonly port: number;
  /** Stop forwarding: every byte either way is dropped, on open connections and new ones alike. */
  silence(): void;
  forward(): void;
  close(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }): Promise<SilenceableProxy> {
  let forwarding = true;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    track(client);
    track(upstream);
    client.on('data', (chunk) => forwarding && upstream.write(chunk));
    upstream.on('data', (chunk) => forwarding && client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    silence: () => {
      forwarding = false;
    },
    forward: () => {
      forwarding = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A signed-in browser on an app whose PostgreSQL is reached through a proxy the test can silence. */
async function appBehindProxy(): Promise<{ t: TestApp; b: Browser; proxy: SilenceableProxy }> {
  const config = await DIALECTS[1]!.makeConfig({
    TWOFA_PUBLIC_URL: PUBLIC_URL,
    TWOFA_LOG: '1',
    TWOFA_DATABASE_QUERY_TIMEOUT_MS: String(TEST_TIMEOUT_MS),
  });
  const url = new URL(config.databaseUrl!);
  const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
  cleanups.push(() => proxy.close());
  url.host = `127.0.0.1:${proxy.port}`;
  const t = await makeTestApp({ config: { ...config, databaseUrl: url.href } });
  cleanups.push(() => t.close());
  const b = browserFor(t);
  await signUp(b, uniqueEmail('timeout'));
  assert.equal((await b.get('/security')).status, 200);
  return { t, b, proxy };
}

function unavailableLogs(t: TestApp): string[] {
  return t.logs
    .map((line) => JSON.parse(line) as { event?: string; message?: string })
    .filter((line) => line.event === 'database.unavailable')
    .map((line) => String(line.message));
}

test('a database host that went silent on open connections: the page answers 503, then works once it answers again', {
  skip: pgSkip,
  timeout: 60_000,
}, async () => {
  const { t, b, proxy } = await appBehindProxy();
  proxy.silence();
  // The session lookup is sent on a pooled connection and no answer ever comes: only pg's query_timeout
  // ends the wait (statement_timeout is the server's, and the server never hears the statement).
  const page = await b.get('/security');
  assert.equal(page.status, 503);
  assert.equal(page.headers.get('retry-after'), '1');
  assert.match(page.body, /cannot reach its database/);
  assert.ok(unavailableLogs(t).includes('Query read timeout'), unavailableLogs(t).join('; '));
  // Requests that find the host still silent (on another pooled connection, or a new one that never gets past
  // its start) answer 503 too: none hangs.
  assert.equal((await b.get('/security')).status, 503);

  proxy.forward();
  // The connection whose answer never came was ended, not handed out again (it would have queued every later
  // statement behind the lost one): the same browser, same session, is served again.
  let status = 0;
  for (let tries = 0; tries < 20 && status !== 200; tries++) {
    status = (await b.get('/security')).status;
    if (status !== 200) await sleep(100);
  }
  assert.equal(status, 200, 'served again once the database answered');
});

test('a statement that runs past statement_timeout is cancelled by the server: 503, and the pool recovers', {
  skip: pgSkip,
  timeout: 60_000,
}, async () => {
  const { t, b } = await appBehindProxy();
  // A lock held longer than the bound (an administrator's long transaction, a migration on another
  // instance): the session lookup waits on it until the server cancels it.
  // (The app's own URL: its schema, through the proxy, which forwards throughout this test.)
  const holder = new pg.Client({ connectionString: t.config.databaseUrl });
  holder.on('error', () => {});
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table sessions in access exclusive mode');
    const page = await b.get('/security');
    assert.equal(page.status, 503);
    assert.equal(page.headers.get('retry-after'), '1');
    assert.ok(
      unavailableLogs(t).some((message) => message.includes('statement timeout')),
      `the server cancelled the statement (before pg's own bound ${QUERY_TIMEOUT_GRACE_MS} ms later): ${unavailableLogs(t).join('; ')}`,
    );
    await holder.query('rollback');
  } finally {
    await holder.end();
  }
  // The cancelled statement's connection stayed usable: the next request is served at once.
  assert.equal((await b.get('/security')).status, 200);
});

test('pg_sleep beyond statement_timeout: SQLSTATE 57014, an outage (503), and the same pool serves the next statement', {
  skip: pgSkip,
  timeout: 30_000,
}, async () => {
  const config = await DIALECTS[1]!.makeConfig();
  const { db } = openDatabase({ ...config, databaseQueryTimeoutMs: 50, databasePoolSize: 1 });
  cleanups.push(() => db.destroy());
  const error = await sql`select pg_sleep(2)`.execute(db).catch((e: unknown) => e);
  assert.equal((error as { code?: unknown }).code, '57014', String(error));
  assert.ok(isDatabaseUnavailable(error), 'mapped to UNAVAILABLE (503), not a 500');
  // Pool of one: the statement after the cancelled one runs on the same connection.
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
  assert.deepEqual(rows, [{ one: 1 }]);
});

test('a bound of 0 sets no timeout at all (the operator asked for none)', { skip: pgSkip }, async () => {
  const config = await DIALECTS[1]!.makeConfig();
  const { db } = openDatabase({ ...config, databaseQueryTimeoutMs: 0, databasePoolSize: 1 });
  cleanups.push(() => db.destroy());
  const { rows } = await sql<{ value: string }>`select current_setting('statement_timeout') as value`.execute(
    db,
  );
  assert.deepEqual(rows, [{ value: '0' }]);
});

test('the default bound reaches the server as statement_timeout', { skip: pgSkip }, async () => {
  const config = await DIALECTS[1]!.makeConfig();
  assert.equal(config.databaseQueryTimeoutMs, 5_000);
  const { db } = openDatabase(config);
  cleanups.push(() => db.destroy());
  const { rows } = await sql<{ value: string }>`select current_setting('statement_timeout') as value`.execute(
    db,
  );
  assert.deepEqual(rows, [{ value: '5s' }]);
});

test('migrations at start are not bound by the request timeout: a start waits out another instance migrating', {
  skip: pgSkip,
  timeout: 30_000,
}, async () => {
  const config = await DIALECTS[1]!.makeConfig({ TWOFA_DATABASE_QUERY_TIMEOUT_MS: '50' });
  // Another instance mid-migration holds the migrations' advisory lock for longer than the bound.
  const other = new pg.Client({ connectionString: config.databaseUrl });
  await other.connect();
  try {
    await other.query(`select pg_advisory_lock(${ADVISORY_LOCK_KEY})`);
    const started = prepareStorage({ ...config, workers: 1 }, { log: () => {} });
    await sleep(300);
    await other.query(`select pg_advisory_unlock(${ADVISORY_LOCK_KEY})`);
    await started;
  } finally {
    await other.end();
  }
});
