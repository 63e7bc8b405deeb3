// Threat: an outage taken for something else. When the database drops the service's connections (an
// administrator's pg_terminate_backend, a restart or failover) or SQLite's lock is held past busy_timeout, a
// request must fail fast with 503 and Retry-After: not a 500 with internals, not a hang, not "wrong code"
// (which would spend an attempt or end the sign-in), and nothing half-done may stay. The next request, on a
// fresh connection, must work again without a restart.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import { ServiceError, type Services } from '../../src/services/types.ts';
import { withUnavailableOutcome } from '../../src/services/unavailable.ts';
import { isDatabaseUnavailable } from '../../src/store/errors.ts';
import { makeApiTestApp } from '../support/api.ts';
import { makeTestApp } from '../support/app.ts';
import { Browser } from '../support/client.ts';
import {
  codeAt,
  DIALECTS,
  makeClock,
  openTestServices,
  rejectsCode,
  signUpWithTotp,
} from '../support/dialects.ts';
import { accountWithTOTP, browserFor, codeNow, logIn } from '../support/flows.ts';

const PG_URL = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;
const pgSkip = PG_URL === undefined ? 'needs TWOFA_TEST_PG_URL' : false;
const cleanups: Array<() => Promise<unknown>> = [];
after(() => Promise.all(cleanups.map((cleanup) => cleanup())));

test('outage errors are told apart from every other error (both drivers, real errors)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-outage-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'locked.sqlite');
  const holder = new DatabaseSync(path);
  const waiter = new DatabaseSync(path);
  try {
    holder.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY); BEGIN IMMEDIATE');
    waiter.exec('PRAGMA busy_timeout = 0');
    const busy = catchError(() => waiter.exec('BEGIN IMMEDIATE'));
    assert.match(String(busy), /database is locked/);
    assert.ok(isDatabaseUnavailable(busy), 'SQLITE_BUSY');
    holder.exec('INSERT INTO t (id) VALUES (1); COMMIT');
    assert.ok(
      !isDatabaseUnavailable(catchError(() => holder.exec('INSERT INTO t (id) VALUES (1)'))),
      'unique',
    );
    assert.ok(!isDatabaseUnavailable(catchError(() => holder.exec('SELEC 1'))), 'syntax');
  } finally {
    holder.close();
    waiter.close();
  }
  // Nothing listens on a port just freed: connection refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const refused = await new pg.Client({ host: '127.0.0.1', port, user: 'x' }).connect().catch((e) => e);
  assert.ok(isDatabaseUnavailable(refused), String(refused));
  assert.ok(!isDatabaseUnavailable(new Error('Cannot read properties of undefined')));
  assert.ok(!isDatabaseUnavailable(new ServiceError('INVALID_CODE')));
});

test('PostgreSQL: a connection ended by pg_terminate_backend is an outage; a SQL error is not', {
  skip: pgSkip,
}, async () => {
  const victim = new pg.Client({ connectionString: PG_URL });
  victim.on('error', () => {});
  await victim.connect();
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    assert.ok(!isDatabaseUnavailable(await victim.query('selec 1').catch((e) => e)), 'syntax');
    const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
    await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    const terminated = await victim.query('select 1').catch((e) => e);
    assert.ok(isDatabaseUnavailable(terminated), String(terminated));
  } finally {
    await admin.end();
    await victim.end().catch(() => {});
  }
});

test('PostgreSQL: the code step whose connection is terminated fails fast with UNAVAILABLE, spends nothing, and the retry works', {
  skip: pgSkip,
  timeout: 30_000,
}, async () => {
  const appName = `twofa-outage-${process.pid}`;
  const base = await DIALECTS[1]!.makeConfig();
  const url = new URL(base.databaseUrl!);
  url.searchParams.set('application_name', appName);
  const clock = makeClock(Date.now());
  const { services, events } = await openTestServices({ ...base, databaseUrl: url.href }, clock);
  cleanups.push(() => services.close());
  const user = await signUpWithTotp(services, clock);
  const pending = await services.auth.login({ email: user.email, password: user.password });
  assert.equal(pending.kind, 'pending');
  const code = codeAt(user.secret, clock.nowMs());
  const blocker = new pg.Client({ connectionString: url.href.replace(appName, 'twofa-outage-blocker') });
  await blocker.connect();
  try {
    // Hold the sessions table so the code step is surely mid-transaction when its connection is ended.
    await blocker.query('begin; lock table sessions in access exclusive mode');
    const attempt = services.auth.verifySecondFactor({
      pendingToken: pending.issued.token,
      factor: 'totp',
      code,
    });
    attempt.catch(() => {});
    await waitFor(async () => {
      const { rows } = await blocker.query(
        `select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
        [appName],
      );
      return rows[0].n > 0;
    });
    const endedAt = performance.now();
    await blocker.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [appName],
    );
    await rejectsCode(attempt, 'UNAVAILABLE');
    assert.ok(performance.now() - endedAt < 5_000, 'failed at once, not after a timeout');
    await blocker.query('rollback');
  } finally {
    await blocker.end();
  }
  assert.ok(
    events.some((e) => e.event === 'database.unavailable'),
    'the driver reason is logged',
  );
  assert.ok(!JSON.stringify(events).includes(code), 'the code is never logged');
  // Nothing was spent: the same pending sign-in and the same code go through on a fresh connection. (A pooled
  // connection ended while idle may be handed out once more before its end is noticed: that try is another
  // UNAVAILABLE, and the pool drops it.)
  let signedIn: { token: string } | undefined;
  for (let tries = 0; tries < 5 && signedIn === undefined; tries++) {
    try {
      signedIn = await services.auth.verifySecondFactor({
        pendingToken: pending.issued.token,
        factor: 'totp',
        code,
      });
    } catch (error) {
      if (!(error instanceof ServiceError && error.code === 'UNAVAILABLE')) throw error;
      await sleep(50);
    }
  }
  assert.ok(signedIn?.token, 'signed in once the database answered again');
});

test('the code step during an outage: 503 with Retry-After, the sign-in kept, no internals', async () => {
  const t = await makeTestApp();
  cleanups.push(() => t.close());
  const { email, secret } = await accountWithTOTP(t);
  const b = browserFor(t);
  assert.equal((await logIn(b, email)).location, '/login/code');
  await b.get('/login/code');
  const down: Services = {
    ...t.services,
    auth: {
      ...t.services.auth,
      verifySecondFactor: async () => {
        throw new ServiceError('UNAVAILABLE');
      },
    },
  };
  const logs: string[] = [];
  const outage = new Browser(
    createApp({ config: t.config, services: down, log: (l) => logs.push(l) }),
    b.origin,
  );
  for (const [name, value] of b.jar) outage.jar.set(name, value);
  outage.csrf = b.csrf;
  const res = await outage.post('/login/code', { code: codeNow(secret, t.clock) });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '1');
  assert.match(res.body, /cannot reach its database/);
  assert.ok(
    !res.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=`)),
    'the pending cookie is kept',
  );
  assert.ok(logs.some((line) => JSON.parse(line).event === 'unavailable'));
  // Back up: the same browser finishes its sign-in with the same code.
  const done = await b.post('/login/code', { code: codeNow(secret, t.clock) });
  assert.equal(done.location, '/');
});

test('the JSON API during an outage: 503 UNAVAILABLE with Retry-After, the driver text only in the log', async () => {
  const t = await makeApiTestApp();
  cleanups.push(() => t.close());
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const serviceLog = (name: string, fields = {}) => log(JSON.stringify({ event: name, ...fields }));
  const down: Services = {
    ...t.services,
    // The real guard over a method whose connection was ended, as pg reports it.
    subjects: withUnavailableOutcome(
      {
        ...t.services.subjects,
        verify: async () => {
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        },
      },
      serviceLog,
    ),
  };
  const app = createApp({ config: t.config, services: down, log });
  const res = await app.request('/api/v1/subjects/s/verify', {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: '123456' }),
  });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '1');
  const body = await res.text();
  assert.equal(JSON.parse(body).error.code, 'UNAVAILABLE');
  assert.ok(!body.includes('administrator'), 'no driver text in the answer');
  assert.ok(logs.some((line) => line.includes('database.unavailable') && line.includes('administrator')));
  assert.ok(!logs.some((line) => line.includes('123456')), 'the code is not logged');
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail('condition not reached in 5 s');
}
